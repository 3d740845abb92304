import type { AgentResource, ConversationResource, TemplateResource } from "../../src/protocol/index.js";
import type { ConfabClient } from "../../sdk/confab-client.js";
import { showError } from "./banner.js";
import { ui } from "./elements.js";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export const titleOf = (c: ConversationResource) => c.title.trim() || "New conversation";

function when(iso: string): string {
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  return today
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleDateString([], { month: "short", day: "numeric" });
}

function option(value: string, text: string): HTMLOptionElement {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = text;
  return o;
}

/**
 * The sidebar: the new-chat choice (each agent, then each template) and the caller's conversations,
 * newest first, kept live by the SDK's `ConversationList`.
 */
export class Sidebar {
  agents = new Map<string, AgentResource>();
  private templates = new Map<string, TemplateResource>();

  /** `signal` ends its listeners on the page (a sign-in that failed leaves none behind). */
  constructor(
    private readonly client: ConfabClient,
    private readonly open: (id: string) => void,
    private readonly openId: () => string | null,
    signal: AbortSignal,
  ) {
    ui.agentSelect.addEventListener("change", () => this.renderDescription(), { signal });
    ui.newForm.addEventListener(
      "submit",
      (event) => {
        event.preventDefault();
        void this.newChat();
      },
      { signal },
    );
  }

  /** Loads the agents, templates and conversations (a failure here means the sign-in failed). */
  async load(): Promise<void> {
    const list = this.client.conversations();
    const [agents, templates] = await Promise.all([
      this.client.agents(),
      this.client.templates(),
      list.ready(),
    ]);
    this.agents = new Map(agents.map((a) => [a.id, a]));
    this.templates = new Map(templates.map((t) => [t.id, t]));
    list.on("change", () => this.render());
    this.renderChoices();
    this.render();
  }

  /** The conversations, the open one marked. */
  render(): void {
    const list = this.client.conversations().list();
    ui.conversationEmpty.hidden = list.length > 0;
    ui.conversationList.replaceChildren(...list.map((c) => this.item(c)));
  }

  private item(c: ConversationResource): HTMLLIElement {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "conversation";
    if (c.id === this.openId()) button.setAttribute("aria-current", "true");
    const title = document.createElement("span");
    title.className = "title";
    title.textContent = titleOf(c);
    const meta = document.createElement("span");
    meta.className = "meta";
    const parts = [this.agents.get(c.agentId)?.name ?? "assistant", plural(c.totalMessages, "message")];
    if (c.lastMessageAt) parts.push(when(c.lastMessageAt));
    if (c.status === "archived") parts.push("archived");
    meta.textContent = parts.join(" · ");
    button.append(title, meta);
    button.addEventListener("click", () => this.open(c.id));
    item.append(button);
    return item;
  }

  /** The new-chat choices: each agent, then each template (a conversation with its first messages). */
  private renderChoices(): void {
    const choices: HTMLElement[] = [...this.agents.values()].map((a) => option(`agent:${a.id}`, a.name));
    if (this.templates.size > 0) {
      const group = document.createElement("optgroup");
      group.label = "Templates";
      group.append(...[...this.templates.values()].map((t) => option(`template:${t.id}`, t.name)));
      choices.push(group);
    }
    ui.agentSelect.replaceChildren(...choices);
    this.renderDescription();
  }

  private renderDescription(): void {
    const [kind, id = ""] = ui.agentSelect.value.split(":");
    ui.agentDescription.textContent =
      (kind === "template" ? this.templates.get(id)?.description : this.agents.get(id)?.description) ?? "";
  }

  private async newChat(): Promise<void> {
    const [kind, id] = ui.agentSelect.value.split(":");
    if (!id) return;
    try {
      const conversation = await this.client.createConversation(
        kind === "template" ? { templateId: id } : { agentId: id },
      );
      this.open(conversation.id);
    } catch (err) {
      showError(err);
    }
  }
}
