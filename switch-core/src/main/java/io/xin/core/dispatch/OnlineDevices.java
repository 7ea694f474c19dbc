package io.xin.core.dispatch;

import io.xin.core.device.Session;
import org.agrona.collections.Long2ObjectHashMap;

import java.util.ArrayList;
import java.util.List;

/**
 * The online devices of each user: the {@link Session} itself for a user with one device online (nearly every
 * idle user), an array only for two or more; a one-element array would cost 24 bytes a session. Read a user's
 * devices without allocating:
 * <pre>
 *   final Object devices = online.of(userId);
 *   for (int i = 0, n = OnlineDevices.count(devices); i &lt; n; i++) { OnlineDevices.device(devices, i) ... }
 * </pre>
 * Owned by the dispatcher thread.
 */
final class OnlineDevices
{
    /** Values are a {@link Session} or a {@code Session[]} of two or more. */
    private final Long2ObjectHashMap<Object> byUser = new Long2ObjectHashMap<>();

    /** @return the user's devices for {@link #count} and {@link #device}: null, a Session or a Session[]. */
    Object of(final long userId)
    {
        return byUser.get(userId);
    }

    static int count(final Object devices)
    {
        if (devices == null)
        {
            return 0;
        }
        return devices instanceof Session ? 1 : ((Session[])devices).length;
    }

    static Session device(final Object devices, final int index)
    {
        return devices instanceof Session session ? session : ((Session[])devices)[index];
    }

    /**
     * Adds a device that logged in.
     *
     * @return the session of the same user and device that it replaces, or null.
     */
    Session register(final Session session)
    {
        final long userId = session.userId();
        final Object devices = byUser.get(userId);
        if (devices == null)
        {
            byUser.put(userId, session);
            return null;
        }
        if (devices instanceof Session existing)
        {
            if (existing.sameDevice(session))
            {
                byUser.put(userId, session);
                return existing;
            }
            byUser.put(userId, new Session[]{ existing, session });
            return null;
        }
        final Session[] array = (Session[])devices;
        for (int i = 0; i < array.length; i++)
        {
            final Session existing = array[i];
            if (existing.sameDevice(session))
            {
                array[i] = session;
                return existing;
            }
        }
        final Session[] grown = new Session[array.length + 1];
        System.arraycopy(array, 0, grown, 0, array.length);
        grown[array.length] = session;
        byUser.put(userId, grown);
        return null;
    }

    /** Removes every device (cluster mode: the shard's users are served elsewhere now) and returns them. */
    List<Session> removeAll()
    {
        final List<Session> all = new ArrayList<>(byUser.size());
        for (final Object devices : byUser.values())
        {
            for (int i = 0, n = count(devices); i < n; i++)
            {
                all.add(device(devices, i));
            }
        }
        byUser.clear();
        return all;
    }

    /** Removes a device that went offline; nothing when it was replaced already. */
    void unregister(final Session session)
    {
        final long userId = session.userId();
        final Object devices = byUser.get(userId);
        if (devices == session)
        {
            byUser.remove(userId);
            return;
        }
        if (!(devices instanceof Session[] array))
        {
            return;
        }
        int index = -1;
        for (int i = 0; i < array.length; i++)
        {
            if (array[i] == session)
            {
                index = i;
                break;
            }
        }
        if (index < 0)
        {
            return;
        }
        if (array.length == 2)
        {
            byUser.put(userId, array[1 - index]);
            return;
        }
        final Session[] shrunk = new Session[array.length - 1];
        System.arraycopy(array, 0, shrunk, 0, index);
        System.arraycopy(array, index + 1, shrunk, index, array.length - index - 1);
        byUser.put(userId, shrunk);
    }
}
