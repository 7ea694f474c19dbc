package io.xin.loadgen.rate;

import java.util.SplittableRandom;

/**
 * Chooses who a message goes to: uniformly among the other users, or Zipf-skewed so that a few users
 * receive most messages (as in real chats). Index 0 is the most popular user under Zipf. Owned by the
 * one thread that schedules sends.
 */
public final class Recipients
{
    private final int users;
    private final double[] cumulative;
    private final SplittableRandom random;

    /**
     * @param users    number of users, at least 2.
     * @param zipfSkew 0 for uniform; otherwise the Zipf exponent s (1.0 is the classic law).
     * @param seed     random seed, so that runs can be repeated.
     */
    public Recipients(final int users, final double zipfSkew, final long seed)
    {
        if (users < 2)
        {
            throw new IllegalArgumentException("a chat needs at least 2 users: " + users);
        }
        if (zipfSkew < 0 || Double.isNaN(zipfSkew))
        {
            throw new IllegalArgumentException("zipf skew must be 0 (uniform) or positive: " + zipfSkew);
        }
        this.users = users;
        this.random = new SplittableRandom(seed);
        if (zipfSkew == 0)
        {
            cumulative = null;
        }
        else
        {
            cumulative = new double[users];
            double sum = 0;
            for (int rank = 0; rank < users; rank++)
            {
                sum += 1.0 / Math.pow(rank + 1, zipfSkew);
                cumulative[rank] = sum;
            }
            for (int rank = 0; rank < users; rank++)
            {
                cumulative[rank] /= sum;
            }
        }
    }

    /**
     * @return a sender, uniformly among all users.
     */
    public int nextSender()
    {
        return random.nextInt(users);
    }

    /**
     * @param sender the sending user's index.
     * @return a recipient other than the sender.
     */
    public int nextRecipient(final int sender)
    {
        int recipient;
        do
        {
            recipient = cumulative == null ? random.nextInt(users) : zipf();
        }
        while (recipient == sender);
        return recipient;
    }

    private int zipf()
    {
        final double u = random.nextDouble();
        int low = 0;
        int high = users - 1;
        while (low < high)
        {
            final int mid = (low + high) >>> 1;
            if (cumulative[mid] < u)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }
        return low;
    }
}
