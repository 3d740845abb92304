/** While keys are pressed, `typing: true` is sent again this often (the server ends it after 6 s). */
export const TYPING_RENEW_MS = 3000;
/** Without a key pressed for this long, `typing: false` is sent. */
export const TYPING_IDLE_MS = 4000;

/**
 * This tab's typing, told to the others without flooding them: `typing: true` when a person starts to
 * write, again every `TYPING_RENEW_MS` while they go on, and `typing: false` once they stop for
 * `TYPING_IDLE_MS`, empty the composer or send.
 */
export class TypingSignal {
  private sentAt = 0;
  private idle: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly deps: { emit: (typing: boolean) => void; now?: () => number }) {}

  /** The composer's text changed. */
  composing(text: string): void {
    if (!text.trim()) {
      this.stop();
      return;
    }
    const now = (this.deps.now ?? Date.now)();
    if (this.sentAt === 0 || now - this.sentAt >= TYPING_RENEW_MS) {
      this.deps.emit(true);
      this.sentAt = now;
    }
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.stop(), TYPING_IDLE_MS);
  }

  /** Typing ended (sent, emptied, idle, or the conversation closed): told once. */
  stop(): void {
    clearTimeout(this.idle);
    this.idle = undefined;
    if (this.sentAt === 0) return;
    this.sentAt = 0;
    this.deps.emit(false);
  }
}
