import { mapOpenAIFinishReason } from "../openai/map-openai-finish-reason.js";

/** Groq's stream is OpenAI's format, finish reasons included. */
export const mapGroqFinishReason = mapOpenAIFinishReason;
