package io.xin.storage;

/**
 * One of a user's relations as stored: the user's own view of a peer.
 *
 * @param peerId   the other user.
 * @param state    the view, as the writer recorded it (never 0).
 * @param greeting kept with it; empty for none.
 */
public record RelationRecord(long peerId, byte state, String greeting)
{
}
