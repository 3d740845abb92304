import { convertOpenAIUsage } from "../openai/convert-openai-usage.js";

/**
 * Groq reports usage with OpenAI's field names (in `x_groq.usage`, or at the top level); undefined
 * when it reported none, so that the caller estimates it instead.
 */
export const convertGroqUsage = convertOpenAIUsage;
