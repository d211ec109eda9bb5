"""``proofcheck lsp``: the language server (``server``), its checking process (``worker``)
and how a checked document is shown in an editor (``render``). See docs/editors.md."""
