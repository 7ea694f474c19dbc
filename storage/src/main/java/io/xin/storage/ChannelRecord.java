package io.xin.storage;

/**
 * A channel (official account) as stored: owner, name, head of its timeline and its publishers.
 * Followers are not part of it: there may be hundreds of thousands.
 *
 * @param channelId    the channel.
 * @param ownerId      the owning user.
 * @param name         UTF-8 name.
 * @param headSeq      seq of the latest post, 0 before the first.
 * @param publisherIds users who may post, ascending.
 */
public record ChannelRecord(long channelId, long ownerId, String name, long headSeq, long[] publisherIds)
{
}
