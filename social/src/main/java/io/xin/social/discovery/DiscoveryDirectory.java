package io.xin.social.discovery;

import java.util.List;

/**
 * Who registered which tag, per PRF key id: the switch's side of contact discovery. A tag is the first 16 bytes of
 * the PRF output of a phone number ({@link Oprf#tag}); the directory never sees a number.
 * <p>
 * One tag names one user: a registration of a tag another user holds moves it to the newer registrant (a number
 * passes to a new owner), and one user holds at most one tag per key (a new registration replaces the old one).
 * Implementations are thread-safe.
 */
public interface DiscoveryDirectory
{
    /**
     * Registers {@code userId} as the holder of {@code tag} under {@code keyId}.
     *
     * @param keyId  a key id the directory serves.
     * @param tag    16 bytes.
     * @param userId not 0.
     * @throws IllegalArgumentException for a key id not served, or a tag of another length.
     */
    void register(int keyId, byte[] tag, long userId);

    /**
     * Removes every registration of {@code userId}, under every key.
     *
     * @return true when there was one.
     */
    boolean unregister(long userId);

    /**
     * Looks tags up.
     *
     * @param keyId a key id the directory serves.
     * @param tags  16 bytes each.
     * @param sink  told each registered tag's position in {@code tags} and its user, in order.
     * @return the number of registered tags.
     * @throws IllegalArgumentException for a key id not served, or a tag of another length.
     */
    int match(int keyId, List<byte[]> tags, MatchSink sink);

    /** What {@link #match} tells of each registered tag. */
    @FunctionalInterface
    interface MatchSink
    {
        void onMatch(int index, long userId);
    }
}
