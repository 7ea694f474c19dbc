package io.xin.core.journal;

import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Message;

/**
 * What the journal made of a group send, a group or channel op, or a login's follows, for the
 * dispatcher: the answer to the requester, the inbox copies to push, the follows that changed and
 * the post to pace out. Made by the journal thread for those events only (a 1:1 send has none), read
 * by the dispatcher after the write; the ring's sequence barriers order the two.
 */
public final class AudienceWork
{
    ErrorCode refusal;
    String refusalMessage;
    /** With a RATE_LIMITED refusal: when to ask again, ms; 0 otherwise. */
    int refusalRetryAfterMs;
    Frame response;
    Message message;
    /** {@link #message} serialised, as stored in each inbox. */
    byte[] stored;
    long[] userIds;
    long[] seqs;
    int count;
    long[] channelHeads;
    long channelId;
    long[] followers;
    boolean follow;
    Message post;

    /** Why a group or channel rule refused the request; null when it was not refused. */
    public ErrorCode refusal()
    {
        return refusal;
    }

    public String refusalMessage()
    {
        return refusalMessage;
    }

    public int refusalRetryAfterMs()
    {
        return refusalRetryAfterMs;
    }

    /** The GroupResult or ChannelResult for the requester; null for a group send (its answer is a SendAck). */
    public Frame response()
    {
        return response;
    }

    /** The message appended to {@link #count()} inboxes (a group message or a GROUP_EVENT), without seq. */
    public Message message()
    {
        return message;
    }

    /** The bytes of {@link #message()} as stored in each inbox (without seq); null when there is no message. */
    public byte[] stored()
    {
        return stored;
    }

    /** The users whose inbox got {@link #message()}, the first {@link #count()} entries. */
    public long[] userIds()
    {
        return userIds;
    }

    /** The seq of each copy, by the index in {@link #userIds()}. */
    public long[] seqs()
    {
        return seqs;
    }

    public int count()
    {
        return count;
    }

    /** At login: triples {@code channel_id, follow_seq, head_seq} of every channel the user follows; else null. */
    public long[] channelHeads()
    {
        return channelHeads;
    }

    /** The channel of a follow change or a post. */
    public long channelId()
    {
        return channelId;
    }

    /** Users who started ({@link #follow()}) or stopped following {@link #channelId()}; null when none. */
    public long[] followers()
    {
        return followers;
    }

    public boolean follow()
    {
        return follow;
    }

    /** A new post, with its timeline seq and channel id, to push to online followers; null otherwise. */
    public Message post()
    {
        return post;
    }
}
