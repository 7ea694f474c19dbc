package io.xin.core;

import io.xin.core.TestDevices.Device;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.GroupEvent;
import io.xin.protocol.pb.GroupMember;
import io.xin.protocol.pb.GroupOpType;
import io.xin.protocol.pb.GroupResult;
import io.xin.protocol.pb.GroupRole;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SendAck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.xin.core.TestDevices.assertRefused;
import static io.xin.core.TestDevices.await;
import static io.xin.core.TestDevices.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Groups end to end over real sockets, a real RocksDB and the real client: fan-out on write to every
 * member exactly once, one order for every member, membership checks and roles, the member cap,
 * membership changes as system messages, and restart.
 */
@Timeout(120)
class GroupsIT
{
    private static final long OWNER = 1;

    @TempDir
    Path dataDir;
    private TestSwitch server;
    private TestDevices clients;

    @AfterEach
    void tearDown()
    {
        if (clients != null)
        {
            clients.close();
        }
        if (server != null)
        {
            server.close();
        }
    }

    private void start(final int maxGroupMembers)
    {
        server = new TestSwitch(dataDir, ctx -> ctx.maxGroupMembers(maxGroupMembers));
        clients = new TestDevices(server);
    }

    @Test
    void shouldFanOutEveryGroupMessageToEveryMemberExactlyOnceInOneOrder() throws Exception
    {
        start(2_000);
        final List<Device> members = new ArrayList<>();
        for (long user = OWNER; user <= 6; user++)
        {
            members.add(clients.connect(user, "phone"));
        }
        final GroupResult created = await(members.get(0).client.createGroup("family", false, 2, 3, 4, 5, 6));
        final long groupId = created.getGroupId();
        assertEquals(6, created.getMemberCount());

        final int perSender = 40;
        final List<CompletableFuture<SendAck>> acks = new ArrayList<>();
        for (int i = 0; i < perSender; i++)
        {
            for (int s = 0; s < 3; s++)
            {
                acks.add(members.get(s).client.sendToGroup(groupId, "g-" + s + "-" + i, text(s + ":" + i)));
            }
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

        final int expected = 1 + 3 * perSender;
        List<Long> firstOrder = null;
        for (final Device member : members)
        {
            final List<Long> order = new ArrayList<>();
            final Set<Long> seen = new HashSet<>();
            final int[] lastIndexBySender = { -1, -1, -1 };
            for (int n = 0; n < expected; n++)
            {
                final Message message = member.next();
                assertEquals(groupId, message.getGroupId());
                assertEquals(0, message.getToUserId());
                assertTrue(seen.add(message.getMsgId()), "each message once: " + message.getMsgId());
                order.add(message.getMsgId());
                if (message.getContent().getType() == ContentType.TEXT)
                {
                    final String[] parts = message.getContent().getBody().toStringUtf8().split(":");
                    final int sender = Integer.parseInt(parts[0]);
                    final int index = Integer.parseInt(parts[1]);
                    assertEquals(lastIndexBySender[sender] + 1, index, "order from one sender");
                    lastIndexBySender[sender] = index;
                }
            }
            assertNull(member.messages.poll(300, TimeUnit.MILLISECONDS), "nothing more");
            if (firstOrder == null)
            {
                firstOrder = order;
            }
            assertEquals(firstOrder, order, "every member sees the group in the same order");
        }
        assertEquals(3 * perSender, server.xin().counters().groupMessagesStored.sum());
        assertEquals(6L * 3 * perSender, server.xin().counters().groupInboxCopies.sum());
    }

    @Test
    void shouldAckAResentGroupMessageAsDuplicateWithoutASecondCopy() throws Exception
    {
        start(2_000);
        final Device owner = clients.connect(OWNER, "phone");
        final Device bob = clients.connect(2, "phone");
        final long groupId = await(owner.client.createGroup("pair", false, 2)).getGroupId();
        bob.next();

        final SendAck first = await(owner.client.sendToGroup(groupId, "same-id", text("once")));
        final SendAck again = await(owner.client.sendToGroup(groupId, "same-id", text("once")));
        assertTrue(again.getDuplicate());
        assertEquals(first.getMsgId(), again.getMsgId());
        assertEquals(first.getSeq(), again.getSeq());
        assertEquals("once", bob.next().getContent().getBody().toStringUtf8());
        assertNull(bob.messages.poll(300, TimeUnit.MILLISECONDS), "one copy only");
    }

    @Test
    void shouldRefuseASendFromANonMemberWithNotAMember() throws Exception
    {
        start(2_000);
        final Device owner = clients.connect(OWNER, "phone");
        final Device stranger = clients.connect(9, "phone");
        final long groupId = await(owner.client.createGroup("closed", false, 2)).getGroupId();

        assertRefused(ErrorCode.NOT_A_MEMBER, stranger.client.sendToGroup(groupId, text("let me in")));
        assertRefused(ErrorCode.NO_SUCH_GROUP, stranger.client.sendToGroup(groupId + 1000, text("anyone?")));
        assertRefused(ErrorCode.NOT_A_MEMBER, stranger.client.group(GroupOpType.GROUP_LIST_MEMBERS, groupId));
        assertRefused(ErrorCode.NOT_ALLOWED, stranger.client.group(GroupOpType.GROUP_JOIN, groupId));
        assertNull(stranger.messages.poll(300, TimeUnit.MILLISECONDS), "a stranger gets nothing of the group");
    }

    @Test
    void shouldLetOnlyTheOwnerOrAnAdminRemoveMembers() throws Exception
    {
        start(2_000);
        final Device owner = clients.connect(OWNER, "phone");
        final Device admin = clients.connect(2, "phone");
        final Device member = clients.connect(3, "phone");
        final Device other = clients.connect(4, "phone");
        final long groupId = await(owner.client.createGroup("team", false, 2, 3, 4)).getGroupId();

        assertRefused(ErrorCode.NOT_ALLOWED, member.client.group(GroupOpType.GROUP_REMOVE_MEMBERS, groupId, 4));
        assertRefused(ErrorCode.NOT_ALLOWED, admin.client.group(GroupOpType.GROUP_ADD_ADMINS, groupId, 2));
        await(owner.client.group(GroupOpType.GROUP_ADD_ADMINS, groupId, 2));
        assertRefused(ErrorCode.NOT_ALLOWED, admin.client.group(GroupOpType.GROUP_REMOVE_MEMBERS, groupId, OWNER));

        final GroupResult removed = await(admin.client.group(GroupOpType.GROUP_REMOVE_MEMBERS, groupId, 4));
        assertEquals(3, removed.getMemberCount());
        assertTrue(removed.getSeq() > 0, "the change is in the admin's own inbox");
        assertRefused(ErrorCode.NOT_A_MEMBER, other.client.sendToGroup(groupId, text("still here?")));

        // The removed member was told, as a system message in its inbox, and then nothing more.
        Message last = null;
        for (int i = 0; i < 3; i++)
        {
            last = other.next();
        }
        final GroupEvent event = GroupEvent.parseFrom(last.getContent().getBody());
        assertEquals(GroupOpType.GROUP_REMOVE_MEMBERS, event.getOp());
        assertEquals(2, event.getActorUserId());
        assertEquals(List.of(4L), event.getUserIdsList());
        await(owner.client.sendToGroup(groupId, text("after")));
        assertNull(other.messages.poll(300, TimeUnit.MILLISECONDS), "removed: no more group messages");

        final List<GroupMember> list = await(member.client.group(GroupOpType.GROUP_LIST_MEMBERS, groupId))
            .getMembersList();
        assertEquals(List.of(
            GroupMember.newBuilder().setUserId(OWNER).setRole(GroupRole.GROUP_ROLE_OWNER).build(),
            GroupMember.newBuilder().setUserId(2).setRole(GroupRole.GROUP_ROLE_ADMIN).build(),
            GroupMember.newBuilder().setUserId(3).setRole(GroupRole.GROUP_ROLE_MEMBER).build()), list);
    }

    @Test
    void shouldRefuseMembersBeyondTheCapWithGroupFull() throws Exception
    {
        start(3);
        final Device owner = clients.connect(OWNER, "phone");
        final Device joiner = clients.connect(7, "phone");
        assertRefused(ErrorCode.GROUP_FULL, owner.client.createGroup("too big", true, 2, 3, 4));
        final long groupId = await(owner.client.createGroup("just fits", true, 2, 3)).getGroupId();
        assertRefused(ErrorCode.GROUP_FULL, owner.client.group(GroupOpType.GROUP_ADD_MEMBERS, groupId, 5));
        assertRefused(ErrorCode.GROUP_FULL, joiner.client.group(GroupOpType.GROUP_JOIN, groupId));

        await(owner.client.group(GroupOpType.GROUP_REMOVE_MEMBERS, groupId, 3));
        final GroupResult joined = await(joiner.client.group(GroupOpType.GROUP_JOIN, groupId));
        assertEquals(3, joined.getMemberCount());
    }

    @Test
    void shouldAppendEveryMembershipChangeToTheGroupHistoryInOrder() throws Exception
    {
        start(2_000);
        final Device owner = clients.connect(OWNER, "phone");
        final Device bob = clients.connect(2, "phone");
        final long groupId = await(owner.client.createGroup("history", false, 2)).getGroupId();
        await(owner.client.group(GroupOpType.GROUP_ADD_MEMBERS, groupId, 3));
        await(bob.client.sendToGroup(groupId, text("hi carol")));
        await(owner.client.renameGroup(groupId, "renamed"));
        await(owner.client.group(GroupOpType.GROUP_LEAVE, groupId));

        final Device carol = clients.connect(3, "phone");
        final List<String> history = new ArrayList<>();
        for (int i = 0; i < 4; i++)
        {
            final Message message = carol.next();
            history.add(message.getContent().getType() == ContentType.GROUP_EVENT ?
                GroupEvent.parseFrom(message.getContent().getBody()).getOp().name() :
                message.getContent().getBody().toStringUtf8());
        }
        assertEquals(List.of("GROUP_ADD_MEMBERS", "hi carol", "GROUP_RENAME", "GROUP_LEAVE"), history);

        final List<Message> bobs = new ArrayList<>();
        for (int i = 0; i < 5; i++)
        {
            bobs.add(bob.next());
        }
        final GroupEvent leave = GroupEvent.parseFrom(bobs.get(4).getContent().getBody());
        assertEquals(2, leave.getNewOwnerUserId(), "the lowest-id member takes over");
        assertEquals("renamed", leave.getName());
    }

    @Test
    void shouldKeepGroupsAndMembershipAcrossRestart() throws Exception
    {
        start(2_000);
        final Device owner = clients.connect(OWNER, "phone");
        final long groupId = await(owner.client.createGroup("durable", false, 2, 3)).getGroupId();
        await(owner.client.group(GroupOpType.GROUP_REMOVE_MEMBERS, groupId, 3));
        final long secondId = await(owner.client.createGroup("second", false)).getGroupId();

        server.restart();
        await(owner.client.connect());
        final GroupResult list = await(owner.client.group(GroupOpType.GROUP_LIST_MEMBERS, groupId));
        assertEquals("durable", list.getName());
        assertEquals(List.of(OWNER, 2L), list.getMembersList().stream().map(GroupMember::getUserId).toList());

        final Device carol = clients.connect(3, "phone");
        assertRefused(ErrorCode.NOT_A_MEMBER, carol.client.sendToGroup(groupId, text("removed before the restart")));
        final Device bob = clients.connect(2, "phone");
        await(owner.client.sendToGroup(groupId, text("after restart")));
        Message message;
        do
        {
            message = bob.next();
        }
        while (message.getContent().getType() != ContentType.TEXT);
        assertEquals("after restart", message.getContent().getBody().toStringUtf8());
        assertTrue(await(owner.client.createGroup("third", false)).getGroupId() > secondId, "ids are never reused");
    }
}
