/**
 * The AI SDK's `useChat` over Confab: the whole change from a stock `useChat` app is its transport
 * (`ConfabChatTransport`). Served at `/react.html`; a reload mid-answer picks the answer up again
 * (`resume: true` → `reconnectToStream`).
 */
import { useChat } from "@ai-sdk/react";
import { lastAssistantMessageIsCompleteWithApprovalResponses, type FileUIPart, type UIMessage } from "ai";
import { useEffect, useRef, useState } from "react";
import { createRoot } from "react-dom/client";
import { ConfabChatTransport, FILE_INPUT_ACCEPT, fetchDevToken, isImage } from "../sdk/index.js";

const DEMO_AGENT = "00000000-0000-4000-8000-000000000001";
const KEY = "confab.react.conversation";

function Chat({
  transport,
  chatId,
  initial,
}: {
  transport: ConfabChatTransport;
  chatId: string;
  initial: UIMessage[];
}) {
  const { messages, sendMessage, status, stop, addToolApprovalResponse, resumeStream } = useChat({
    id: chatId,
    transport,
    messages: initial,
    resume: true,
    // An approval given here goes to Confab as `tool:decide`, and the answer streams on.
    sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses,
  });
  useDecidedElsewhere(transport, chatId, status, resumeStream);
  const [input, setInput] = useState("");
  const [files, setFiles] = useState<FileList | null>(null);
  const picker = useRef<HTMLInputElement>(null);
  const online = useOnline(transport, chatId);
  return (
    <main style={{ maxWidth: 720, margin: "2em auto", font: "15px system-ui" }}>
      <h1>useChat over Confab</h1>
      <ol id="messages">
        {messages.map((m) => (
          <li key={m.id} className={m.role} data-id={m.id}>
            <b>{m.role === "user" ? "You" : "Assistant"}: </b>
            <span className="text">{m.parts.map((p) => (p.type === "text" ? p.text : "")).join("")}</span>
            <Files parts={m.parts.filter((p): p is FileUIPart => p.type === "file")} />
            <Parts message={m} decide={(id, approved) => void addToolApprovalResponse({ id, approved })} />
          </li>
        ))}
      </ol>
      <p id="status">{status}</p>
      <p id="online">{online.length > 0 ? `Online: ${online.join(", ")}` : ""}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const attached = files && files.length > 0 ? files : undefined;
          if (!input.trim() && !attached) return;
          // The transport uploads the files to Confab, then sends the message with them.
          void sendMessage(attached ? { text: input, files: attached } : { text: input });
          setInput("");
          setFiles(null);
          if (picker.current) picker.current.value = "";
        }}
      >
        <input aria-label="Message" value={input} onChange={(e) => setInput(e.target.value)} />
        <input
          ref={picker}
          type="file"
          multiple
          aria-label="Attach files"
          accept={FILE_INPUT_ACCEPT}
          onChange={(e) => setFiles(e.target.files)}
        />
        <button type="submit" disabled={status === "streaming" || status === "submitted"}>
          Send
        </button>
        <button type="button" onClick={() => void stop()}>
          Stop
        </button>
      </form>
    </main>
  );
}

/**
 * An answer's reasoning (a collapsed "Thinking" block) and tool calls (cards: name, state, input and
 * output as JSON text, Approve/Deny while approval is requested). React escapes all of it: text only.
 */
function Parts({ message, decide }: { message: UIMessage; decide: (id: string, approved: boolean) => void }) {
  return (
    <>
      {message.parts.map((p, i) => {
        if (p.type === "reasoning")
          return (
            <details key={i} className="thinking">
              <summary>Thinking</summary>
              <pre>{p.text}</pre>
            </details>
          );
        if (p.type !== "dynamic-tool") return null;
        return (
          <div key={p.toolCallId} className="tool-card" data-state={p.state}>
            <b className="tool-name">{p.toolName}</b> <span className="tool-state">{p.state}</span>
            <pre className="tool-input">{JSON.stringify(p.input, null, 2)}</pre>
            {p.state === "output-available" && (
              <pre className="tool-output">{JSON.stringify(p.output, null, 2)}</pre>
            )}
            {p.state === "output-error" && <pre className="tool-output">{p.errorText}</pre>}
            {p.state === "approval-requested" && (
              <span>
                <button type="button" className="approve" onClick={() => decide(p.approval.id, true)}>
                  Approve
                </button>
                <button type="button" className="deny" onClick={() => decide(p.approval.id, false)}>
                  Deny
                </button>
              </span>
            )}
          </div>
        );
      })}
    </>
  );
}

/**
 * The files of a message: an image as a thumbnail, anything else as a download link; its `url` is a
 * `data:` URL (just sent from here) or Confab's signed link. Names are text (React escapes them).
 */
function Files({ parts }: { parts: FileUIPart[] }) {
  if (parts.length === 0) return null;
  return (
    <span className="files">
      {parts.map((p, i) => {
        const name = p.filename ?? "file";
        return isImage(p.mediaType) ? (
          <img key={i} className="file-image" src={p.url} alt={name} title={name} style={{ maxWidth: 240 }} />
        ) : (
          <a key={i} className="file-link" href={p.url} download={name}>
            {name}
          </a>
        );
      })}
    </span>
  );
}

/**
 * A tool call decided in another tab (or the widget): the answer goes on without this `useChat`
 * asking, so it picks the stream up again from where its message is.
 */
function useDecidedElsewhere(
  transport: ConfabChatTransport,
  chatId: string,
  status: string,
  resumeStream: () => Promise<void>,
): void {
  const handle = transport.client.conversation(chatId);
  const waiting = useRef(new Set<string>());
  useEffect(
    () =>
      handle.on("message", (view) => {
        if (view.id === null || view.role !== "assistant") return;
        if (view.status === "awaiting_approval") waiting.current.add(view.id);
        else if (waiting.current.delete(view.id) && view.status === "streaming" && status === "ready")
          void resumeStream();
      }),
    [handle, status, resumeStream],
  );
}

/** Who has the conversation open now, from the transport's conversation handle (the SDK's core). */
function useOnline(transport: ConfabChatTransport, chatId: string): string[] {
  const handle = transport.client.conversation(chatId);
  const [online, setOnline] = useState(() => handle.presence().map((u) => u.name));
  useEffect(() => handle.on("presence", (list) => setOnline(list.map((u) => u.name))), [handle]);
  return online;
}

async function start(): Promise<void> {
  const transport = new ConfabChatTransport({
    url: location.origin,
    getToken: () => fetchDevToken(location.origin, "react-demo", "React demo"),
  });
  let chatId = localStorage.getItem(KEY);
  if (!chatId) {
    chatId = (await transport.client.createConversation({ agentId: DEMO_AGENT })).id;
    localStorage.setItem(KEY, chatId);
  }
  const initial = await transport.messages(chatId);
  createRoot(document.getElementById("root")!).render(
    <Chat transport={transport} chatId={chatId} initial={initial} />,
  );
}

void start();
