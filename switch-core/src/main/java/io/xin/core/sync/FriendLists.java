package io.xin.core.sync;

import io.xin.protocol.pb.FriendEntry;
import io.xin.protocol.pb.FriendOpType;
import io.xin.protocol.pb.FriendResult;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.PrivacySettings;
import io.xin.storage.FriendStore;
import io.xin.storage.RelationRecord;
import io.xin.storage.XinStore;

/**
 * A FRIEND_LIST answer, read on a sync thread: every relation of the requester (friends, blocked users, requests
 * sent and received, by user id) and its privacy settings as they apply (the switch's default for a user who never
 * set them). Read after every log is applied up to where it was appended when the read began, so the list holds
 * every change the requester was already answered for.
 */
final class FriendLists
{
    private FriendLists()
    {
    }

    static Frame answer(
        final XinStore store, final long userId, final long requestId, final boolean strangersAllowedByDefault)
    {
        final FriendStore.FriendList list = store.friends().readFriendList(userId);
        final FriendResult.Builder result = FriendResult.newBuilder()
            .setRequestId(requestId)
            .setOp(FriendOpType.FRIEND_LIST);
        for (final RelationRecord relation : list.relations())
        {
            result.addEntries(FriendEntry.newBuilder()
                .setUserId(relation.peerId())
                .setStateValue(relation.state())
                .setGreeting(relation.greeting()));
        }
        final int flags = list.privacy();
        result.setSettings(flags == FriendStore.NO_SETTINGS ?
            PrivacySettings.newBuilder().setAllowStrangers(strangersAllowedByDefault).build() :
            PrivacySettings.newBuilder()
                .setAllowStrangers((flags & FriendStore.ALLOWS_STRANGERS) != 0)
                .setHidePresence((flags & FriendStore.HIDES_PRESENCE) != 0)
                .build());
        return Frame.newBuilder().setFriendResult(result).build();
    }
}
