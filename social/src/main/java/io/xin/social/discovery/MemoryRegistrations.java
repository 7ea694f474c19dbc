package io.xin.social.discovery;

import java.util.HashMap;
import java.util.Map;

/**
 * {@link Registrations} in memory, lost at exit: for tests and for embedders that keep the directory elsewhere.
 * Not thread-safe.
 */
public final class MemoryRegistrations implements Registrations
{
    private final Map<Integer, Map<Long, byte[]>> byKey = new HashMap<>();

    @Override
    public int[] keyIds()
    {
        return byKey.entrySet().stream().filter(e -> !e.getValue().isEmpty()).mapToInt(Map.Entry::getKey).toArray();
    }

    @Override
    public long count(final int keyId)
    {
        final Map<Long, byte[]> tags = byKey.get(keyId);
        return tags == null ? 0 : tags.size();
    }

    @Override
    public void forEach(final int keyId, final Visitor visitor)
    {
        final Map<Long, byte[]> tags = byKey.get(keyId);
        if (tags != null)
        {
            tags.forEach((userId, tag) -> visitor.visit(userId, tag.clone()));
        }
    }

    @Override
    public byte[] read(final int keyId, final long userId)
    {
        final Map<Long, byte[]> tags = byKey.get(keyId);
        final byte[] tag = tags == null ? null : tags.get(userId);
        return tag == null ? null : tag.clone();
    }

    @Override
    public void write(final int keyId, final long userId, final byte[] tag, final long displacedUserId)
    {
        final Map<Long, byte[]> tags = byKey.computeIfAbsent(keyId, k -> new HashMap<>());
        tags.put(userId, tag.clone());
        if (displacedUserId != 0)
        {
            tags.remove(displacedUserId);
        }
    }

    @Override
    public void delete(final int keyId, final long userId)
    {
        final Map<Long, byte[]> tags = byKey.get(keyId);
        if (tags != null)
        {
            tags.remove(userId);
        }
    }

    @Override
    public void deleteKey(final int keyId)
    {
        byKey.remove(keyId);
    }
}
