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
  /** When `typing: true` was last sent; null while this tab is not typing. */
  private sentAt: number | null = null;
  private idle: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly deps: {
      emit: (typing: boolean) => void;
      now?: () => number;
      /** Default `TYPING_RENEW_MS` and `TYPING_IDLE_MS`. */
      renewMs?: number;
      idleMs?: number;
    },
  ) {}

  /** The composer's text changed. */
  composing(text: string): void {
    if (!text.trim()) {
      this.stop();
      return;
    }
    const now = (this.deps.now ?? Date.now)();
    if (this.sentAt === null || now - this.sentAt >= (this.deps.renewMs ?? TYPING_RENEW_MS)) {
      this.deps.emit(true);
      this.sentAt = now;
    }
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.stop(), this.deps.idleMs ?? TYPING_IDLE_MS);
  }

  /** Typing ended (sent, emptied, idle, or the conversation closed): told once. */
  stop(): void {
    clearTimeout(this.idle);
    this.idle = undefined;
    if (this.sentAt === null) return;
    this.sentAt = null;
    this.deps.emit(false);
  }
}
