using System.Diagnostics;
using Functional.WebRtc.Transport;

namespace Functional.WebRtc.Tests.Connection;

/// <summary>The process-wide timer of idle deadlines: a waiter wakes once, at its slot or a little after, never before.</summary>
public class GridTimerTests
{
    private static long In(TimeSpan delay) => Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);

    private sealed class Waiter
    {
        public readonly List<long> Woken = [];
        public readonly Action Wake;
        public long Registered;
        public Waiter() => Wake = () => { lock (Woken) Woken.Add(Stopwatch.GetTimestamp()); };
        public int Count { get { lock (Woken) return Woken.Count; } }
    }

    [Fact]
    public async Task AWaiterWakesOnceNotBeforeItsSlot()
    {
        var w = new Waiter();
        var slot = In(TimeSpan.FromMilliseconds(150));
        GridTimer.Schedule(w.Wake, slot, ref w.Registered);
        await LoopbackPair.WaitForAsync(() => w.Count > 0, TimeSpan.FromSeconds(5), "the wake-up");
        await Task.Delay(300);
        Assert.Single(w.Woken);
        Assert.True(w.Woken[0] >= slot, "woken before its slot");
        Assert.True(Stopwatch.GetElapsedTime(slot, w.Woken[0]) < TimeSpan.FromSeconds(2), "woken far too late");
    }

    [Fact]
    public async Task RescheduledAndCancelledWaitersDoNotWakeForTheOldSlot()
    {
        var moved = new Waiter();
        var cancelled = new Waiter();
        var early = In(TimeSpan.FromMilliseconds(100));
        GridTimer.Schedule(moved.Wake, early, ref moved.Registered);
        GridTimer.Schedule(cancelled.Wake, early, ref cancelled.Registered);
        var later = In(TimeSpan.FromMilliseconds(500));
        GridTimer.Schedule(moved.Wake, later, ref moved.Registered);
        GridTimer.Cancel(cancelled.Wake, ref cancelled.Registered);
        Assert.Equal(0, cancelled.Registered);
        await LoopbackPair.WaitForAsync(() => moved.Count > 0, TimeSpan.FromSeconds(5), "the moved wake-up");
        await Task.Delay(200);
        Assert.Single(moved.Woken);
        Assert.True(moved.Woken[0] >= later, "woken for the slot it left");
        Assert.Equal(0, cancelled.Count);
    }

    [Fact]
    public async Task WaitersOfOneSlotWakeTogether()
    {
        var waiters = Enumerable.Range(0, 20).Select(_ => new Waiter()).ToList();
        var slot = In(TimeSpan.FromMilliseconds(120));
        foreach (var w in waiters) GridTimer.Schedule(w.Wake, slot, ref w.Registered);
        await LoopbackPair.WaitForAsync(() => waiters.All(w => w.Count == 1), TimeSpan.FromSeconds(5), "every waiter woken");
        var first = waiters.Min(w => w.Woken[0]);
        var last = waiters.Max(w => w.Woken[0]);
        Assert.True(first >= slot);
        // One timer fire wakes them all in one pass (generous bound for a loaded machine).
        Assert.True(Stopwatch.GetElapsedTime(first, last) < TimeSpan.FromMilliseconds(500));
    }
}
