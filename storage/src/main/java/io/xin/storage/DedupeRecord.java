package io.xin.storage;

/**
 * What the store remembers of a message for its (sender, kind of request, client_msg_id), and for a post its
 * channel: the original ids, so a resend is answered with the original acknowledgement.
 *
 * @param msgId        the server-wide message id.
 * @param senderSeq    seq of the copy in the sender's own inbox (a {@link Kind#SEND}), or of the post in its
 *                     channel's timeline (a {@link Kind#CHANNEL_POST} or {@link Kind#UNSCOPED_POST}).
 * @param serverTimeMs when the switch stored it, epoch milliseconds.
 * @param kind         the kind of request that stored it, or which old form of record was found.
 */
public record DedupeRecord(long msgId, long senderSeq, long serverTimeMs, Kind kind)
{
    /**
     * The kinds of request that dedupe on a client_msg_id. Each has a namespace of its own: a send and a
     * post with the same id are two messages, and a record of one never answers the other.
     */
    public enum Kind
    {
        /** A {@code Send}, to a user or a group: {@code senderSeq} is in the sender's inbox. */
        SEND((byte)'S'),
        /**
         * A {@code ChannelOp} {@code CHANNEL_POST}, found under its channel's key: {@code senderSeq} is the post's
         * seq in that channel.
         */
        CHANNEL_POST((byte)'P'),
        /**
         * A post's record found under the key posts had before keys held the channel: a post of this id in some
         * channel of the sender, at seq {@code senderSeq}. The caller tells whether it is the channel asked for
         * (that channel's timeline holds {@code msgId} at {@code senderSeq}). Never written.
         */
        UNSCOPED_POST((byte)'P'),
        /**
         * A record written before records carried their kind, found under a send's key: it may be a send's or
         * a post's in any of the sender's channels. The caller tells them apart (a send's {@code senderSeq} holds
         * {@code msgId} in the sender's inbox, a post's in its channel's timeline).
         */
        UNTAGGED((byte)0);

        final byte tag;

        Kind(final byte tag)
        {
            this.tag = tag;
        }

        static Kind ofTag(final byte tag)
        {
            return tag == SEND.tag ? SEND : tag == CHANNEL_POST.tag ? CHANNEL_POST : null;
        }
    }

    /** A record of a {@link Kind#SEND}. */
    public DedupeRecord(final long msgId, final long senderSeq, final long serverTimeMs)
    {
        this(msgId, senderSeq, serverTimeMs, Kind.SEND);
    }
}
