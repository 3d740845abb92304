/** The Socket.IO rooms of `/chat`: every tab of a conversation, and every tab of a user. */
export const conversationRoom = (conversationId: string) => `conversation:${conversationId}`;
export const userRoom = (userId: string) => `user:${userId}`;
