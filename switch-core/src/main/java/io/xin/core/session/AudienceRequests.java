package io.xin.core.session;

import io.xin.protocol.ProtocolLimits;
import io.xin.protocol.pb.ChannelOp;
import io.xin.protocol.pb.ChannelOpType;
import io.xin.protocol.pb.GroupOp;
import io.xin.protocol.pb.GroupOpType;

/**
 * Checks of GroupOp and ChannelOp fields that need no state, on the event loop before the op goes
 * to the ring: what fails here is a BAD_REQUEST, never a trip through the journal. Rules that need
 * membership (roles, caps) are the journal's.
 */
final class AudienceRequests
{
    private AudienceRequests()
    {
    }

    /**
     * @return why the op is malformed, or null when it may go to the journal.
     */
    static String invalid(final GroupOp op)
    {
        final GroupOpType type = op.getOp();
        if (type == GroupOpType.GROUP_OP_UNSPECIFIED || type == GroupOpType.UNRECOGNIZED)
        {
            return "op must be a known GroupOpType";
        }
        if (type != GroupOpType.GROUP_CREATE && op.getGroupId() <= 0)
        {
            return "group_id must be a positive id";
        }
        if (type == GroupOpType.GROUP_CREATE || type == GroupOpType.GROUP_RENAME)
        {
            final String name = invalidName(op.getNameBytes().size());
            if (name != null)
            {
                return name;
            }
        }
        return invalidUserIds(op.getUserIdsList(), type == GroupOpType.GROUP_ADD_MEMBERS ||
            type == GroupOpType.GROUP_REMOVE_MEMBERS || type == GroupOpType.GROUP_ADD_ADMINS ||
            type == GroupOpType.GROUP_REMOVE_ADMINS);
    }

    /**
     * @return why the op is malformed, or null when it may go to the journal.
     */
    static String invalid(final ChannelOp op)
    {
        final ChannelOpType type = op.getOp();
        if (type == ChannelOpType.CHANNEL_OP_UNSPECIFIED || type == ChannelOpType.UNRECOGNIZED)
        {
            return "op must be a known ChannelOpType";
        }
        if (type != ChannelOpType.CHANNEL_CREATE && op.getChannelId() <= 0)
        {
            return "channel_id must be a positive id";
        }
        if (type == ChannelOpType.CHANNEL_CREATE)
        {
            return invalidName(op.getNameBytes().size());
        }
        if (type == ChannelOpType.CHANNEL_POST)
        {
            final int clientMsgIdBytes = op.getClientMsgIdBytes().size();
            if (clientMsgIdBytes == 0 || clientMsgIdBytes > ProtocolLimits.MAX_ID_LENGTH_BYTES)
            {
                return "client_msg_id must be 1.." + ProtocolLimits.MAX_ID_LENGTH_BYTES + " bytes";
            }
            if (!op.hasContent() || op.getContent().getTypeValue() == 0)
            {
                return "content with a type is required";
            }
            return null;
        }
        return invalidUserIds(op.getUserIdsList(), type == ChannelOpType.CHANNEL_ADD_PUBLISHERS ||
            type == ChannelOpType.CHANNEL_REMOVE_PUBLISHERS || type == ChannelOpType.CHANNEL_IMPORT_FOLLOWERS);
    }

    private static String invalidName(final int lengthBytes)
    {
        return lengthBytes == 0 || lengthBytes > ProtocolLimits.MAX_NAME_LENGTH_BYTES ?
            "name must be 1.." + ProtocolLimits.MAX_NAME_LENGTH_BYTES + " bytes" : null;
    }

    private static String invalidUserIds(final java.util.List<Long> userIds, final boolean required)
    {
        if (required && userIds.isEmpty())
        {
            return "user_ids must not be empty";
        }
        if (userIds.size() > ProtocolLimits.MAX_USER_IDS_PER_OP)
        {
            return "at most " + ProtocolLimits.MAX_USER_IDS_PER_OP + " user_ids per op";
        }
        for (int i = 0, size = userIds.size(); i < size; i++)
        {
            if (userIds.get(i) <= 0)
            {
                return "user_ids must be positive ids";
            }
        }
        return null;
    }
}
