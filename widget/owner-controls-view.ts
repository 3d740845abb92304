import type { AssistantMode } from "../src/protocol/index.js";
import type { ConversationHandle } from "../sdk/conversation-handle.js";

export interface OwnerElements {
  /** Everything below, shown to the owner only. */
  controls: HTMLElement[];
  invite: {
    button: HTMLButtonElement;
    /** Whom the link makes of its user: participant (the default) or viewer. */
    role?: HTMLSelectElement;
    box: HTMLElement;
    link: HTMLInputElement;
    copy?: HTMLButtonElement;
    note?: HTMLElement;
  };
  /** Who answers: every message, only when asked, or nobody. */
  mode?: HTMLSelectElement;
}

export interface OwnerOptions {
  /** The link an invite token goes into. */
  inviteUrl: (token: string) => string;
  onError: (err: unknown) => void;
}

/** The owner's controls: an invite link to copy (participant or viewer), and who answers. */
export class OwnerControlsView {
  constructor(
    private readonly elements: OwnerElements,
    private readonly handle: ConversationHandle,
    private readonly options: OwnerOptions,
    signal: AbortSignal,
  ) {
    const { invite, mode } = elements;
    invite.box.hidden = true;
    invite.button.addEventListener("click", () => void this.invite(), { signal });
    invite.copy?.addEventListener("click", () => void this.copy(), { signal });
    mode?.addEventListener("change", () => void this.setMode(mode.value as AssistantMode), { signal });
  }

  render(): void {
    const owner = this.handle.role === "owner";
    for (const control of this.elements.controls) control.hidden = !owner;
    const mode = this.elements.mode;
    const current = this.handle.conversation?.assistantMode;
    if (mode && current && mode.value !== current) mode.value = current;
  }

  private async invite(): Promise<void> {
    const { role, box, link, note } = this.elements.invite;
    try {
      const created = await this.handle.createInvite(role?.value === "viewer" ? "viewer" : "participant");
      link.value = this.options.inviteUrl(created.token);
      box.hidden = false;
      if (note)
        note.textContent = `Joins as ${created.role}; valid until ${new Date(created.expiresAt).toLocaleDateString()}.`;
      link.select();
      await this.copy();
    } catch (err) {
      this.options.onError(err);
    }
  }

  private async copy(): Promise<void> {
    const { link, note } = this.elements.invite;
    try {
      await navigator.clipboard.writeText(link.value);
      if (note) note.textContent = "Copied. " + (note.textContent ?? "").replace(/^Copied\. /, "");
    } catch {
      // No clipboard (plain http, or no permission): the link stays selected to copy by hand.
      link.select();
    }
  }

  private async setMode(mode: AssistantMode): Promise<void> {
    try {
      await this.handle.setAssistantMode(mode);
    } catch (err) {
      this.options.onError(err);
      this.render();
    }
  }
}
