package io.xin.storage;

import java.nio.ByteOrder;

/**
 * The bytes of one message-log entry: the writes of one journal batch, each message's bytes once however many
 * inboxes hold it. Integers are little-endian (the log's own order); keys and values are the column families'
 * layouts ({@link Layout}, {@link AudienceLayout}, {@link FriendLayout}).
 * <pre>
 *   entry        version(1) = 1 | op*
 *   PUT          1 | cf(1) | key_length(2) | value_length(4) | key | value
 *   PAYLOAD      2 | length(4) | bytes              the payload of the PUT_PAYLOADs that follow, to the next PAYLOAD
 *   PUT_PAYLOAD  3 | cf(1) | key_length(2) | key    value: the current payload
 *   DELETE       4 | cf(1) | key_length(2) | key
 *
 *   cf           1 inbox, 2 dedupe, 3 meta, 4 timeline
 * </pre>
 * A 1:1 send is a PAYLOAD, two PUT_PAYLOADs (the sender's and the recipient's inbox) and a PUT (its dedupe
 * record); a group message is a PAYLOAD and a PUT_PAYLOAD per member. Applying an entry is idempotent: replayed
 * in log order from any entry on, entries rebuild the same column families.
 */
final class EntryFormat
{
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    static final byte VERSION = 1;

    static final byte PUT = 1;
    static final byte PAYLOAD = 2;
    static final byte PUT_PAYLOAD = 3;
    static final byte DELETE = 4;

    static final byte CF_INBOX = 1;
    static final byte CF_DEDUPE = 2;
    static final byte CF_META = 3;
    static final byte CF_TIMELINE = 4;

    /** op(1) | cf(1) | key_length(2). */
    static final int KEY_HEADER_LENGTH = 4;
    /** op(1) | cf(1) | key_length(2) | value_length(4). */
    static final int PUT_HEADER_LENGTH = 8;
    /** op(1) | length(4). */
    static final int PAYLOAD_HEADER_LENGTH = 5;
    /** Keys are short (ids and a client_msg_id or device id, both limited far below this). */
    static final int MAX_KEY_LENGTH = 0xFFFF;

    private EntryFormat()
    {
    }
}
