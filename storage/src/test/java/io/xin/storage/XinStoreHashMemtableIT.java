package io.xin.storage;

/**
 * Every {@link XinStoreIT} test again with the inbox and dedupe memtables hashed by user
 * ({@link StoreConfig#hashMemtable(boolean)}): page reads, heads recovered from the last inbox key, the repair of
 * heads at open, dedupe lookups and their bloom filters, retention and reopening all answer as with the skip list.
 */
class XinStoreHashMemtableIT extends XinStoreIT
{
    @Override
    StoreConfig config()
    {
        return super.config().hashMemtable(true);
    }
}
