// Starts `proofcheck lsp` for .proof files (see docs/editors.md).
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate() {
  const cfg = vscode.workspace.getConfiguration("proofcheck");
  const [command, ...args] = cfg.get("command", ["proofcheck", "lsp"]);
  const server = { command, args };
  client = new LanguageClient("proofcheck", "proofcheck", { run: server, debug: server }, {
    documentSelector: [{ language: "proof" }],
    initializationOptions: { budget: cfg.get("budget", 2), exercises: cfg.get("exercises") || undefined },
  });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
