package io.xin.storage;

/**
 * A group as stored: its owner, name, whether anyone may join, and its members.
 *
 * @param groupId   the group.
 * @param ownerId   the owning user.
 * @param open      anyone may join.
 * @param name      UTF-8 name.
 * @param memberIds members, ascending.
 * @param roles     each member's role, by the index in {@code memberIds} (0 member, 1 admin, 2 owner).
 */
public record GroupRecord(long groupId, long ownerId, boolean open, String name, long[] memberIds, byte[] roles)
{
}
