import type { ToolPart } from "../src/protocol/index.js";
import { button, el, setData, setIfChanged } from "./dom.js";

/** What a card says of a tool call's state. */
const STATE_LABEL: Record<ToolPart["state"], string> = {
  "input-streaming": "preparing…",
  "input-available": "running…",
  "approval-requested": "waiting for approval",
  approved: "approved",
  denied: "denied",
  "output-available": "done",
  "output-error": "failed",
};

/** What a card may do: decide, when the caller may and the call waits for a decision. */
export interface ToolCardActions {
  canDecide: boolean;
  decide(approved: boolean): Promise<unknown>;
  onError(err: unknown): void;
}

/** A tool's input or output as a person reads it: formatted JSON, or the text as is. */
export function formatData(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  try {
    // `undefined` for a function or a symbol, which JSON data never holds.
    return JSON.stringify(value, null, 2) ?? "";
  } catch {
    return "(not JSON)";
  }
}

/** Who decided, as a card says it: "approved by Alice", "denied: no decision in time". */
export function decisionLine(part: ToolPart): string {
  const approval = part.approval;
  if (!approval) return "";
  const reason = approval.reason ? `: ${approval.reason}` : "";
  if (approval.decidedBy === null) return approval.approved ? "approved" : "denied: no decision in time";
  return `${approval.approved ? "approved" : "denied"} by ${approval.decidedBy.name}${reason}`;
}

/**
 * One tool call as a card (`.tool-card` with `data-state`): its name, state, input and output as
 * text (formatted JSON, through `textContent`: tool data never becomes HTML), who decided, and
 * Approve / Deny while it waits for a decision the caller may take. Drawn again only when it changes.
 */
export class ToolCardView {
  readonly element: HTMLElement;
  private readonly name = el("span", "tool-name");
  private readonly state = el("span", "tool-state");
  private readonly input = el("pre", "tool-input");
  private readonly output = el("pre", "tool-output");
  private readonly decision = el("div", "tool-decision");
  private readonly buttons = el("div", "tool-buttons");
  private drawn = "";
  /** The part last drawn: what the card shows again once a decision is answered. */
  private part: ToolPart | null = null;
  /** A decision sent from this card and not yet answered: its buttons wait. */
  private deciding = false;

  constructor(private readonly actions: ToolCardActions) {
    this.element = el("div", "tool-card");
    const head = el("div", "tool-head");
    head.append(this.name, this.state);
    this.element.append(head, this.input, this.output, this.decision, this.buttons);
  }

  draw(part: ToolPart): void {
    this.part = part;
    const key = JSON.stringify([part, this.actions.canDecide, this.deciding]);
    if (key === this.drawn) return;
    this.drawn = key;
    setData(this.element, "state", part.state);
    setIfChanged(this.name, "textContent", part.toolName);
    setIfChanged(this.state, "textContent", STATE_LABEL[part.state]);
    setIfChanged(this.input, "textContent", formatData(part.input));
    const output =
      part.state === "output-error" ? (part.error ?? "the tool failed") : formatData(part.output);
    setIfChanged(this.output, "textContent", output);
    this.output.hidden = output === "";
    setIfChanged(this.decision, "textContent", decisionLine(part));
    const asks = part.state === "approval-requested" && this.actions.canDecide;
    this.buttons.replaceChildren(...(asks ? this.decisionButtons(part) : []));
  }

  private decisionButtons(part: ToolPart): HTMLButtonElement[] {
    const decide = (approved: boolean) => () => {
      this.deciding = true;
      this.draw(part);
      this.actions
        .decide(approved)
        .catch((err: unknown) => this.actions.onError(err))
        .finally(() => {
          this.deciding = false;
          if (this.part) this.draw(this.part);
        });
    };
    const options = (className: string, onClick: () => void) => ({
      className,
      disabled: this.deciding,
      name: `${className === "approve" ? "Approve" : "Deny"} ${part.toolName}`,
      onClick,
    });
    return [
      button("Approve", options("approve", decide(true))),
      button("Deny", options("deny", decide(false))),
    ];
  }
}
