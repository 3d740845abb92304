import type { ConversationElements } from "./conversation-view.js";
import { el } from "./dom.js";

/** The widget's frame and the elements its views draw into. */
export interface WidgetSkeleton {
  frame: HTMLElement;
  title: HTMLElement;
  state: HTMLElement;
  errorLine: HTMLElement;
  conversation: ConversationElements;
}

function labelled(text: string, control: HTMLElement, className: string): HTMLLabelElement {
  const label = el("label", className);
  label.append(text + " ", control);
  return label;
}

function select(name: string, options: [string, string][]): HTMLSelectElement {
  const s = el("select");
  s.setAttribute("aria-label", name);
  for (const [value, text] of options) {
    const o = el("option", "", text);
    o.value = value;
    s.append(o);
  }
  return s;
}

/** The owner's row (who answers, an invite link) and the box the link appears in. */
function ownerRow(): { row: HTMLElement; box: HTMLElement; owner: ConversationElements["owner"] } {
  const mode = select("Who answers", [
    ["auto", "answers every message"],
    ["manual", "answers when asked"],
    ["off", "is off"],
  ]);
  const modeLabel = labelled("Assistant", mode, "mode");
  const role = select("Invite as", [
    ["participant", "as participant"],
    ["viewer", "as viewer"],
  ]);
  const invite = el("button", "invite", "Invite link");
  invite.type = "button";
  const row = el("div", "owner");
  row.append(modeLabel, role, invite);
  row.hidden = true; // The owner's only, once the role is known.
  const box = el("div", "invite-box");
  const link = el("input", "invite-link");
  link.readOnly = true;
  link.setAttribute("aria-label", "Invite link");
  const note = el("span", "note");
  box.append(link, note);
  return { row, box, owner: { controls: [row], invite: { button: invite, role, box, link, note }, mode } };
}

/**
 * The composer: the attach button (and its hidden file input), the text, "Ask the assistant" (manual
 * mode), Stop and Send; above it the files attached and the edit bar. Files dropped anywhere on the
 * frame are attached too.
 */
function composer(frame: HTMLElement): {
  editBar: HTMLElement;
  attachments: HTMLElement;
  form: HTMLFormElement;
  composer: ConversationElements["composer"];
} {
  const editBar = el("div", "editing", "Editing a message: sending makes a new version of it. ");
  const cancel = el("button", "link", "Cancel");
  cancel.type = "button";
  editBar.append(cancel);
  editBar.hidden = true;
  const form = el("form");
  const input = el("textarea");
  input.rows = 2;
  input.maxLength = 10_000;
  input.placeholder = "Message…";
  const box = el("input");
  box.type = "checkbox";
  const askLabel = labelled("", box, "ask");
  askLabel.append("Ask the assistant");
  askLabel.hidden = true;
  const stop = el("button", "", "Stop");
  stop.type = "button";
  stop.hidden = true;
  const send = el("button", "primary", "Send");
  send.type = "submit";
  // Until the conversation is joined there is nowhere to send to.
  send.disabled = true;
  const attach = el("button", "attach", "📎");
  attach.type = "button";
  attach.title = "Attach files (or paste, or drop them here)";
  attach.setAttribute("aria-label", "Attach files");
  attach.disabled = true;
  const fileInput = el("input", "file-input");
  fileInput.type = "file";
  fileInput.hidden = true;
  fileInput.setAttribute("aria-label", "Files to attach");
  const attachments = el("ul", "attachments");
  attachments.setAttribute("aria-label", "Attached files");
  attachments.hidden = true;
  form.append(attach, fileInput, input, askLabel, stop, send);
  const elements = {
    form,
    input,
    send,
    stop,
    ask: { label: askLabel, box },
    editing: { bar: editBar, cancel },
    files: { button: attach, input: fileInput, list: attachments, drop: frame },
  };
  return { editBar, attachments, form, composer: elements };
}

/** Builds the widget's DOM: header, owner row, members, messages, starters, typing, errors, composer. */
export function buildSkeleton(): WidgetSkeleton {
  const frame = el("div", "frame");
  const header = el("header");
  const title = el("h2", "", "Chat");
  const state = el("span", "state", "connecting…");
  state.dataset.state = "connecting";
  header.append(title, state);
  const { row, box, owner } = ownerRow();
  const members = el("ul", "members");
  members.setAttribute("aria-label", "Members");
  const scroller = el("div", "messages");
  const earlier = el("button", "link earlier", "Load earlier messages");
  earlier.type = "button";
  earlier.hidden = true;
  const list = el("div", "list");
  list.setAttribute("aria-live", "polite");
  scroller.append(earlier, list);
  const starters = el("div", "starters");
  const typing = el("div", "typing");
  const errorLine = el("div", "error");
  errorLine.setAttribute("role", "alert");
  const { editBar, attachments, form, composer: composerElements } = composer(frame);
  frame.append(header, row, box, members, scroller, starters, typing, errorLine, editBar, attachments, form);
  const conversation: ConversationElements = {
    root: frame,
    messages: { list, scroller, earlier },
    starters,
    people: { members, typing },
    composer: composerElements,
    owner,
  };
  return { frame, title, state, errorLine, conversation };
}
