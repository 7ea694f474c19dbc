package io.xin.social;

/**
 * Whether one user has blocked another: people nearby leaves out, both ways, a user who blocked the requester and
 * one the requester blocked. The switch gives its own (the friends and blocks rows); {@link #NEVER} until it does.
 * Called on the thread that owns the nearby index: an implementation must be safe there (a point read, no waits
 * on other switch threads).
 */
@FunctionalInterface
public interface BlockCheck
{
    /** Nobody has blocked anybody. */
    BlockCheck NEVER = (blocker, blocked) -> false;

    /**
     * @param blocker the user whose blocks are asked.
     * @param blocked the other user.
     * @return true when {@code blocker} has blocked {@code blocked}.
     */
    boolean blocked(long blocker, long blocked);

    /**
     * @return true when either user has blocked the other.
     */
    default boolean eitherBlocked(final long a, final long b)
    {
        return blocked(a, b) || blocked(b, a);
    }
}
