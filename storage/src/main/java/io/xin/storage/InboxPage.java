package io.xin.storage;

import java.util.List;

/**
 * A page of an inbox read from one consistent snapshot.
 *
 * @param entries entries with afterSeq &lt; seq, oldest first.
 * @param headSeq the inbox's head seq in the same snapshot (0 for an empty, never-used inbox).
 * @param hasMore whether entries beyond the last one returned exist in the snapshot.
 */
public record InboxPage(List<InboxEntry> entries, long headSeq, boolean hasMore)
{
}
