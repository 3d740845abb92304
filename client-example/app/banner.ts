import { describeError } from "../../sdk/errors.js";
import { ui } from "./elements.js";

let timer: ReturnType<typeof setTimeout> | undefined;

/** Shows a failure (a refusal with its code, or any error) in the banner for ten seconds. */
export function showError(error: unknown): void {
  ui.bannerText.textContent = describeError(error);
  ui.banner.hidden = false;
  clearTimeout(timer);
  timer = setTimeout(() => (ui.banner.hidden = true), 10_000);
}

ui.bannerClose.addEventListener("click", () => (ui.banner.hidden = true));
