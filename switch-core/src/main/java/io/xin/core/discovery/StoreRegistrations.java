package io.xin.core.discovery;

import io.xin.social.discovery.Registrations;
import io.xin.storage.DiscoveryRegistrations;

/**
 * The directory's registrations in the switch's RocksDB ({@link DiscoveryRegistrations}): the social module knows
 * nothing of storage, so this passes each call on.
 */
public final class StoreRegistrations implements Registrations
{
    private final DiscoveryRegistrations store;

    public StoreRegistrations(final DiscoveryRegistrations store)
    {
        this.store = store;
    }

    @Override
    public int[] keyIds()
    {
        return store.keyIds();
    }

    @Override
    public long count(final int keyId)
    {
        return store.count(keyId);
    }

    @Override
    public void forEach(final int keyId, final Visitor visitor)
    {
        store.forEach(keyId, visitor::visit);
    }

    @Override
    public byte[] read(final int keyId, final long userId)
    {
        return store.read(keyId, userId);
    }

    @Override
    public void write(final int keyId, final long userId, final byte[] tag, final long displacedUserId)
    {
        store.write(keyId, userId, tag, displacedUserId);
    }

    @Override
    public void delete(final int keyId, final long userId)
    {
        store.delete(keyId, userId);
    }

    @Override
    public void deleteKey(final int keyId)
    {
        store.deleteKey(keyId);
    }
}
