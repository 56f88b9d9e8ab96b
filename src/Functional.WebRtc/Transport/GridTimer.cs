using System.Diagnostics;

namespace Functional.WebRtc.Transport;

/// <summary>
/// One process-wide timer for the connections' idle deadlines (a second or more away: consent checks, the consent
/// expiry, SCTP heartbeats), which the shell puts on shared grid slots (Stopwatch timestamps). Each connection with a
/// per-connection timer cost a thread-pool work item per fire (the timer queue runs one due timer inline and queues
/// every other one), on top of the work item that runs the connection's loop; here a slot costs one timer fire, which
/// wakes every connection due in it. Waiters are registered with the slot they wait for; a waiter is in one slot at most.
/// </summary>
internal static class GridTimer
{
    private static readonly object Gate = new();
    private static readonly SortedList<long, List<Action>> Slots = [];
    private static readonly Timer Timer = CreateTimer();
    private static long _armedFor = long.MaxValue;

    /// <summary>The timer queue counts on a coarse clock: a little late, so a slot is never fired before it is due.</summary>
    private const long CoarseClockSlackMs = 5;

    /// <summary>Slots registered (for tests: a closed connection leaves none behind).</summary>
    internal static int Waiters
    {
        get { lock (Gate) return Slots.Values.Sum(l => l.Count); }
    }

    /// <summary>Makes <paramref name="wake"/> run once at <paramref name="slot"/> (a Stopwatch timestamp) instead of its previous slot.</summary>
    public static void Schedule(Action wake, long slot, ref long registered)
    {
        lock (Gate)
        {
            if (registered == slot && Slots.TryGetValue(slot, out var same) && same.Contains(wake)) return;
            Remove(wake, registered);
            registered = slot;
            if (!Slots.TryGetValue(slot, out var list)) Slots.Add(slot, list = new List<Action>(4));
            list.Add(wake);
            if (slot < _armedFor) Arm(slot);
        }
    }

    /// <summary>Takes <paramref name="wake"/> out of its slot, if it is still waiting.</summary>
    public static void Cancel(Action wake, ref long registered)
    {
        if (registered == 0) return;
        lock (Gate)
        {
            Remove(wake, registered);
            registered = 0;
        }
    }

    private static void Remove(Action wake, long slot)
    {
        if (slot == 0 || !Slots.TryGetValue(slot, out var list)) return;
        list.Remove(wake);
        // The timer stays armed for an emptied slot: it then fires, finds nothing and re-arms for the next one (one
        // wasted wake-up at most, where re-arming on every cancel would cost a timer-queue update each time).
        if (list.Count == 0) Slots.Remove(slot);
    }

    /// <summary>Made without the first caller's ExecutionContext: the shared timer must not carry one connection's AsyncLocals forever.</summary>
    private static Timer CreateTimer()
    {
        using (ExecutionContext.SuppressFlow()) return new Timer(static _ => Fire(), null, Timeout.Infinite, Timeout.Infinite);
    }

    private static void Arm(long slot)
    {
        _armedFor = slot;
        var ticks = slot - Stopwatch.GetTimestamp();
        var ms = ticks <= 0 ? 0 : (long)Math.Ceiling(ticks * 1000.0 / Stopwatch.Frequency) + CoarseClockSlackMs;
        Timer.Change(ms, Timeout.Infinite);
    }

    private static void Fire()
    {
        List<Action>? due = null;
        lock (Gate)
        {
            var now = Stopwatch.GetTimestamp();
            while (Slots.Count > 0 && Slots.Keys[0] <= now)
            {
                (due ??= []).AddRange(Slots.Values[0]);
                Slots.RemoveAt(0);
            }
            _armedFor = long.MaxValue;
            if (Slots.Count > 0) Arm(Slots.Keys[0]);
        }
        if (due is null) return;
        foreach (var wake in due) wake();
    }
}
