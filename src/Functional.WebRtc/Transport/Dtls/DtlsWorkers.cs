namespace Functional.WebRtc.Transport.Dtls;

/// <summary>
/// One run of a DTLS endpoint's blocking work (BouncyCastle's handshake) on a reusable background thread, with the
/// parts of <see cref="Thread"/> the endpoint uses: <see cref="Start"/>, <see cref="IsAlive"/>, <see cref="Join"/>,
/// <see cref="Name"/>. Starting one does not create a thread when one is idle (creating and starting a thread costs
/// tens of microseconds on a quiet machine and milliseconds on a busy one, on the caller's thread: the connection's
/// loop).
/// </summary>
internal sealed class DtlsWorker(ThreadStart work, string name)
{
    private readonly ManualResetEventSlim ended = new(false);
    private volatile Thread? runner;
    private int started;

    public string Name => name;
    /// <summary>Started and not yet ended (like <see cref="Thread.IsAlive"/>, but true while waiting for a thread too).</summary>
    public bool IsAlive => Volatile.Read(ref started) != 0 && !ended.IsSet;
    /// <summary>True on the thread running the work, during the work.</summary>
    public bool IsCurrent => runner == Thread.CurrentThread;

    /// <summary>Hands the work to an idle DTLS thread (or a new one). Once only.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref started, 1) != 0) throw new InvalidOperationException("already started");
        DtlsWorkers.Run(this);
    }

    /// <summary>Waits for the work to end; false after <paramref name="timeout"/>.</summary>
    public bool Join(TimeSpan timeout) => ended.Wait(timeout);

    internal void Execute()
    {
        runner = Thread.CurrentThread;
        try { work(); }
        finally
        {
            runner = null;
            ended.Set();
        }
    }

    public override string ToString() => name;
}

/// <summary>
/// The threads that run <see cref="DtlsWorker"/>s: background threads that wait for work and end after
/// <see cref="IdleLifetime"/> without any. A couple are kept spare (made in the background, off the caller's path), so
/// a handshake normally starts on a thread that is already there. Each idle thread waits on its own slot (a monitor
/// wait, no spinning: on a busy machine spinning idle threads take the cores the handshakes need); work is handed to
/// the most recently idle one.
/// </summary>
internal static class DtlsWorkers
{
    /// <summary>Idle threads kept ready (an in-process pair of peers starts two handshakes at once).</summary>
    public const int Spare = 2;
    /// <summary>How long an idle thread waits for work before it ends.</summary>
    public static readonly TimeSpan IdleLifetime = TimeSpan.FromSeconds(30);

    private sealed class Slot
    {
        public DtlsWorker? Work;
    }

    private static readonly Lock gate = new();
    private static readonly List<Slot> idle = [];  // under gate; the last is the most recently idle
    private static int spawning;                   // spare threads being made (under gate)
    private static int live;                       // threads alive (under gate)
    private static int nextId;

    /// <summary>Threads alive (idle or busy), for tests.</summary>
    public static int Live { get { lock (gate) return live; } }
    /// <summary>Threads waiting for work, for tests.</summary>
    public static int Idle { get { lock (gate) return idle.Count; } }

    internal static void Run(DtlsWorker work)
    {
        Slot? slot = null;
        lock (gate)
        {
            if (idle.Count > 0)
            {
                slot = idle[^1];
                idle.RemoveAt(idle.Count - 1);
            }
            else live++;
        }
        if (slot is null) StartThread(work); // none idle: this caller pays for the thread, once
        else
        {
            lock (slot)
            {
                slot.Work = work;
                Monitor.Pulse(slot);
            }
        }
        EnsureSpare();
    }

    /// <summary>Makes spare threads in the background until <see cref="Spare"/> are idle or on their way.</summary>
    public static void EnsureSpare()
    {
        int missing;
        lock (gate)
        {
            missing = Spare - idle.Count - spawning;
            if (missing <= 0) return;
            spawning += missing;
            live += missing;
        }
        ThreadPool.UnsafeQueueUserWorkItem(static n =>
        {
            for (var i = 0; i < n; i++) StartThread(null, spare: true);
        }, missing, preferLocal: false);
    }

    private static void StartThread(DtlsWorker? first, bool spare = false) =>
        new Thread(() => Loop(first, spare)) { IsBackground = true, Name = $"dtls-{Interlocked.Increment(ref nextId)}" }.Start();

    private static void Loop(DtlsWorker? work, bool spare)
    {
        var slot = new Slot();
        while (true)
        {
            work?.Execute();
            work = null;
            lock (gate)
            {
                idle.Add(slot);
                if (spare) { spawning--; spare = false; }
            }
            lock (slot)
            {
                while (slot.Work is null)
                {
                    if (Monitor.Wait(slot, IdleLifetime)) continue;
                    bool expired;
                    lock (gate)
                    {
                        expired = idle.Remove(slot);
                        if (expired) live--;
                    }
                    if (expired) return;
                    // Run took this slot just now and is about to hand it work: wait for it.
                }
                work = slot.Work;
                slot.Work = null;
            }
        }
    }
}
