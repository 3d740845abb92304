/** The widget's styles, inside its shadow root: the host page's CSS cannot reach in, nor these out. */
export const WIDGET_CSS = `
:host { all: initial; display: block; height: 100%; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: #1d2330; --accent: #3b63e6; --muted: #6b7385; --border: #e3e6eb; --panel: #fff; --soft: #eef0f4; }
* { box-sizing: border-box; }
.frame { display: flex; flex-direction: column; height: 100%; min-height: 320px; background: var(--panel);
  border: 1px solid var(--border); border-radius: 12px; overflow: hidden; }
header { display: flex; align-items: center; gap: .6em; padding: .6em .9em; border-bottom: 1px solid var(--border); }
header h2 { margin: 0; font-size: 1em; flex: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.state { font-size: .8em; color: var(--muted); }
.state[data-state="online"] { display: none; }
.state[data-state="offline"] { color: #c2413a; }
[hidden] { display: none !important; }
.owner, .invite-box { display: flex; flex-wrap: wrap; align-items: center; gap: .4em; padding: .3em .9em; font-size: .8em; border-bottom: 1px solid var(--border); }
.owner select { font: inherit; }
.note { color: var(--muted); }
.members { display: flex; flex-wrap: wrap; gap: .3em; margin: 0; padding: .3em .9em; list-style: none; font-size: .8em; border-bottom: 1px solid var(--border); }
.members:empty { display: none; }
.member { padding: .1em .5em; border: 1px solid var(--border); border-radius: 999px; color: var(--muted); }
.member[data-online="true"] { color: #1d2330; border-color: #2fa84f; }
.member-role { margin-left: .4em; opacity: .7; }
.invite-link { flex: 1; min-width: 10em; font: inherit; }
.messages { flex: 1; overflow-y: auto; padding: .8em .9em; }
.list { display: flex; flex-direction: column; gap: .6em; }
.earlier { display: block; margin: 0 auto .6em; }
.branch { display: inline-flex; align-items: center; gap: .2em; }
.message { max-width: 85%; display: flex; flex-direction: column; }
.message.user { align-self: flex-end; align-items: flex-end; }
.message.user.other { align-self: flex-start; align-items: flex-start; }
.author { font-size: .75em; color: var(--muted); }
.author:empty { display: none; }
.bubble { padding: .5em .8em; border-radius: 12px; background: var(--soft); overflow-wrap: anywhere; }
.message.user .bubble { background: var(--accent); color: #fff; white-space: pre-wrap; }
.message.user.other .bubble { background: var(--panel); color: inherit; border: 1px solid var(--border); }
.bubble > :first-child { margin-top: 0; } .bubble > :last-child { margin-bottom: 0; }
.bubble a { color: inherit; }
.bubble pre { position: relative; background: #14161b; color: #e6e8ee; padding: .7em; border-radius: 8px; overflow-x: auto; }
.bubble pre .copy { position: absolute; top: .3em; right: .3em; font-size: .75em; }
.bubble table { border-collapse: collapse; } .bubble th, .bubble td { border: 1px solid var(--border); padding: .2em .5em; }
.message[data-status="streaming"] .bubble::after { content: "▍"; color: var(--muted); }
.text-part > :first-child { margin-top: 0; } .text-part > :last-child { margin-bottom: 0; }
.bubble > * + * { margin-top: .5em; }
.thinking { font-size: .85em; color: var(--muted); }
.thinking summary { cursor: pointer; }
.thinking-text { white-space: pre-wrap; padding: .3em 0 0 .8em; border-left: 2px solid var(--border); }
.tool-card { border: 1px solid var(--border); border-radius: 8px; background: var(--panel); padding: .4em .6em; font-size: .85em; }
.tool-head { display: flex; gap: .6em; align-items: baseline; }
.tool-name { font-family: ui-monospace, monospace; font-weight: 600; }
.tool-state { color: var(--muted); }
.tool-card[data-state="approval-requested"] { border-color: #d49a1f; }
.tool-card[data-state="denied"], .tool-card[data-state="output-error"] { border-color: #c2413a; }
.tool-input, .tool-output { margin: .3em 0 0; padding: .4em; background: var(--soft); border-radius: 6px;
  white-space: pre-wrap; overflow-wrap: anywhere; max-height: 16em; overflow: auto; font-size: .9em; }
.tool-input:empty, .tool-output:empty { display: none; }
.tool-decision { color: var(--muted); } .tool-decision:empty { display: none; }
.tool-buttons { display: flex; gap: .4em; margin-top: .3em; } .tool-buttons:empty { display: none; }
.tool-buttons .approve { background: var(--accent); color: #fff; border-color: var(--accent); }
.source { display: inline-block; font-size: .8em; }
.status { font-size: .75em; color: var(--muted); } .status:empty { display: none; }
.actions { display: flex; gap: .3em; font-size: .75em; } .actions:empty { display: none; }
button { font: inherit; cursor: pointer; border: 1px solid var(--border); background: var(--panel); border-radius: 6px; padding: .15em .5em; }
button:disabled { opacity: .45; cursor: default; }
.frame[data-busy="true"] .actions button, .frame[data-online="false"] .actions button { opacity: .45; pointer-events: none; }
.starters { display: flex; flex-wrap: wrap; gap: .4em; padding: 0 .9em .5em; } .starters:empty { display: none; }
.editing { padding: .3em .9em; font-size: .8em; color: var(--muted); border-top: 1px solid var(--border); }
.ask { display: flex; align-items: center; gap: .3em; font-size: .8em; color: var(--muted); }
.typing { min-height: 1.2em; padding: 0 .9em; font-size: .8em; color: var(--muted); }
form { display: flex; gap: .5em; padding: .6em .9em .8em; border-top: 1px solid var(--border); }
textarea { flex: 1; resize: none; font: inherit; padding: .4em .6em; border: 1px solid var(--border); border-radius: 8px; min-height: 2.6em; }
.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
.attach { align-self: stretch; }
.attachments { display: flex; flex-wrap: wrap; gap: .4em; margin: 0; padding: .4em .9em 0; list-style: none; border-top: 1px solid var(--border); }
.attachment { display: flex; align-items: center; gap: .4em; max-width: 100%; padding: .2em .4em; border: 1px solid var(--border); border-radius: 8px; font-size: .8em; }
.attachment[data-status="failed"] { border-color: #c2413a; }
.attachment-thumb { display: inline-flex; align-items: center; justify-content: center; width: 2.4em; height: 2.4em; flex: none; overflow: hidden; border-radius: 4px; background: var(--soft); }
.attachment-thumb img { width: 100%; height: 100%; object-fit: cover; }
.attachment-name { max-width: 14em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.attachment-size, .attachment-state { color: var(--muted); } .attachment-state:empty { display: none; }
.attachment-progress { width: 5em; }
.attachment-error { color: #c2413a; } .attachment-error:empty { display: none; }
.frame[data-dragging="true"] { outline: 2px dashed var(--accent); outline-offset: -4px; }
.file-part { display: flex; flex-direction: column; gap: .2em; }
.file-image img { display: block; max-width: 100%; max-height: 16em; width: auto; height: auto; border-radius: 8px; background: var(--soft); }
.file-part .file-name { font-size: .75em; opacity: .8; }
.file-link { display: inline-block; }
.file-part.unavailable::after { content: "(unavailable)"; font-size: .75em; opacity: .8; }
.error { color: #c2413a; font-size: .8em; padding: 0 .9em; } .error:empty { display: none; }
`;
