//! Zed only starts language servers that an extension declares: this one runs `sst-lsp serve`.
use zed_extension_api as zed;

struct SstLsp;

impl zed::Extension for SstLsp {
    fn new() -> Self {
        SstLsp
    }

    fn language_server_command(
        &mut self,
        _language_server_id: &zed::LanguageServerId,
        worktree: &zed::Worktree,
    ) -> zed::Result<zed::Command> {
        let command = worktree
            .which("sst-lsp")
            .ok_or_else(|| "sst-lsp is not on PATH: install it with `python3 -m pip install sst-lsp`".to_string())?;
        Ok(zed::Command {
            command,
            args: vec!["serve".into()],
            env: Default::default(),
        })
    }
}

zed::register_extension!(SstLsp);
