package io.xin.protocol;

/**
 * Limits of the protocol itself, and the defaults of the limits a server may configure.
 */
public final class ProtocolLimits
{
    /** Default cap on a frame after login, length prefix excluded. */
    public static final int DEFAULT_MAX_FRAME_LENGTH_BYTES = 64 * 1024;
    /** Default cap on a frame before login: a Login with its token fits easily. */
    public static final int DEFAULT_MAX_PRE_LOGIN_FRAME_LENGTH_BYTES = 4 * 1024;
    /** Default cap on frames a client accepts from a server (a SyncResult page). */
    public static final int DEFAULT_CLIENT_MAX_FRAME_LENGTH_BYTES = 16 * 1024 * 1024;
    /** client_msg_id and device_id are 1..64 bytes of UTF-8. */
    public static final int MAX_ID_LENGTH_BYTES = 64;
    /** Group and channel names are 1..256 bytes of UTF-8. */
    public static final int MAX_NAME_LENGTH_BYTES = 256;
    /** user_ids in one GroupOp or ChannelOp (a follower import is sent in pages of this many). */
    public static final int MAX_USER_IDS_PER_OP = 4096;

    private ProtocolLimits()
    {
    }
}
