//! The interactive prompt: one command a line, with line editing and history.
//!
//! A line that leaves a bracket or a string open, or ends with `\`, goes on at the next line
//! (as in RouterOS's terminal), so that `:if (...) do={` can be typed over several lines.

use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wanfwd::api::ApiClient;

const PROMPT: &str = "[admin@wanfwd] > ";
const MORE: &str = "... ";

/// Reads commands until `quit` or end of input, running each against wanfwd.
pub fn run(mut client: ApiClient, socket: &Path, json: bool) -> ExitCode {
    let mut editor = match DefaultEditor::new() {
        Ok(editor) => editor,
        Err(e) => {
            eprintln!("wanctl: cannot start the prompt: {e}");
            return ExitCode::from(2);
        }
    };
    let history = history_file();
    if let Some(file) = &history {
        // A first run has no history yet.
        let _ = editor.load_history(file);
    }
    println!(
        "{} at {}; quit or Ctrl-D to leave",
        client.server(),
        socket.display()
    );
    let mut pending = String::new();
    loop {
        let prompt = if pending.is_empty() { PROMPT } else { MORE };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            // Ctrl-C abandons what is being typed, as in RouterOS.
            Err(ReadlineError::Interrupted) => {
                pending.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("wanctl: {e}");
                break;
            }
        };
        if pending.is_empty() {
            match line.trim() {
                "" => continue,
                "quit" | "/quit" | "exit" => break,
                _ => {}
            }
        }
        pending.push_str(&line);
        if incomplete(&pending) {
            pending.push('\n');
            continue;
        }
        let command = std::mem::take(&mut pending);
        let _ = editor.add_history_entry(command.as_str());
        match client.run(&command, json) {
            Ok(Ok(output)) => crate::print_output(&output),
            Ok(Err(message)) => crate::print_error(&message),
            Err(e) => eprintln!("wanctl: lost wanfwd at {}: {e}", socket.display()),
        }
    }
    if let Some(file) = &history {
        if let Err(e) = editor.save_history(file) {
            eprintln!("wanctl: cannot save the history in {}: {e}", file.display());
        }
    }
    ExitCode::SUCCESS
}

/// ~/.wanctl_history, if there is a home.
fn history_file() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(PathBuf::from(home).join(".wanctl_history"))
}

/// Whether RouterOS command text goes on at the next line: a bracket (`{`, `[`, `(`) or a
/// string left open, or a `\` at the end. Comment lines (`#` first) do not count.
pub fn incomplete(text: &str) -> bool {
    let mut depth = 0i32;
    let mut in_string = false;
    for line in text.lines() {
        if !in_string && line.trim_start().starts_with('#') {
            continue;
        }
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_string = !in_string,
                '{' | '[' | '(' if !in_string => depth += 1,
                '}' | ']' | ')' if !in_string => depth -= 1,
                _ => {}
            }
        }
    }
    let continued = text.ends_with('\\') && !text.ends_with("\\\\");
    depth > 0 || in_string || continued
}

#[cfg(test)]
mod tests {
    use super::incomplete;

    #[test]
    fn open_brackets_and_strings_go_on() {
        assert!(!incomplete("/ip/route print"));
        assert!(!incomplete(":put [/ip/route get 0 gateway]"));
        assert!(incomplete(":if ($a = 1) do={"));
        assert!(!incomplete(":if ($a = 1) do={\n  :put yes\n}"));
        assert!(incomplete(":put \"open"));
        assert!(!incomplete(":put \"a { in a string\""));
        assert!(!incomplete(":put \"an escaped \\\" quote\""));
        assert!(incomplete("/ip/route add \\"));
        assert!(!incomplete("# a comment with {"));
        // Too many closing brackets: let wanfwd say what is wrong.
        assert!(!incomplete("}"));
    }
}
