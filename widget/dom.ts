/** Small DOM helpers the views share. Text only ever goes in through `textContent`. */

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = "",
  text = "",
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

/** Writes a property only when it changes, so an unchanged element is not touched at all. */
export function setIfChanged(node: HTMLElement, property: "className" | "textContent", value: string): void {
  if (node[property] !== value) node[property] = value;
}

/** Sets `data-<key>` only when it changes. */
export function setData(node: HTMLElement, key: string, value: string): void {
  if (node.dataset[key] !== value) node.dataset[key] = value;
}

/** A `type=button` button; `name` is its accessible name when the label alone says too little. */
export function button(
  label: string,
  options: { className?: string; name?: string; title?: string; disabled?: boolean; onClick: () => void },
): HTMLButtonElement {
  const b = el("button", options.className ?? "", label);
  b.type = "button";
  if (options.name) b.setAttribute("aria-label", options.name);
  if (options.title) b.title = options.title;
  b.disabled = options.disabled ?? false;
  b.addEventListener("click", options.onClick);
  return b;
}

/** Calls `draw` at most once an animation frame, however often `schedule` is called. */
export function frameScheduler(draw: () => void): { schedule(): void; cancel(): void } {
  let requested: number | null = null;
  return {
    schedule() {
      if (requested !== null) return;
      requested = requestAnimationFrame(() => {
        requested = null;
        draw();
      });
    },
    cancel() {
      if (requested !== null) cancelAnimationFrame(requested);
      requested = null;
    },
  };
}
