package io.xin.social.discovery;

/**
 * Where a directory keeps its registrations durably: one record of {@code (key id, user id) -> tag} each. The
 * switch stores them in its RocksDB; {@link MemoryRegistrations} keeps them in memory. Implementations need not be
 * thread-safe: {@link IndexedDiscoveryDirectory} calls them under its lock.
 */
public interface Registrations
{
    /**
     * @return every key id with at least one registration, in any order.
     */
    int[] keyIds();

    /**
     * @return the registrations under {@code keyId}.
     */
    long count(int keyId);

    /**
     * Calls {@code visitor} for each registration under {@code keyId}.
     */
    void forEach(int keyId, Visitor visitor);

    /**
     * @return the tag {@code userId} registered under {@code keyId}, or null.
     */
    byte[] read(int keyId, long userId);

    /**
     * Records {@code userId}'s tag and, in the same atomic write, removes {@code displacedUserId}'s registration
     * under the same key (the earlier holder of the tag).
     *
     * @param displacedUserId 0 when none.
     */
    void write(int keyId, long userId, byte[] tag, long displacedUserId);

    void delete(int keyId, long userId);

    /** Removes every registration under {@code keyId}: its key is retired. */
    void deleteKey(int keyId);

    /** One registration. */
    @FunctionalInterface
    interface Visitor
    {
        /**
         * @param tag 16 bytes; valid during the call only.
         */
        void visit(long userId, byte[] tag);
    }
}
