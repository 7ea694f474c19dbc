package io.xin.storage;

/**
 * What the store remembers of a message for its (sender, client_msg_id): the original ids, so a
 * resend is answered with the original acknowledgement.
 *
 * @param msgId        the server-wide message id.
 * @param senderSeq    seq of the copy in the sender's own inbox.
 * @param serverTimeMs when the switch stored it, epoch milliseconds.
 */
public record DedupeRecord(long msgId, long senderSeq, long serverTimeMs)
{
}
