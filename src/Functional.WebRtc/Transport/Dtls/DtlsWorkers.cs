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
/// a handshake normally starts on a thread that is already there.
/// </summary>
internal static class DtlsWorkers
{
    /// <summary>Idle threads kept ready (an in-process pair of peers starts two handshakes at once).</summary>
    public const int Spare = 2;
    /// <summary>How long an idle thread waits for work before it ends.</summary>
    public static readonly TimeSpan IdleLifetime = TimeSpan.FromSeconds(30);

    private static readonly Lock gate = new();
    private static readonly Queue<DtlsWorker> pending = new();
    private static readonly SemaphoreSlim signal = new(0);
    private static int idle;      // threads waiting for work (under gate)
    private static int spawning;  // threads being made in the background (under gate)
    private static int live;      // threads alive (under gate)
    private static int nextId;

    /// <summary>Threads alive (idle or busy), for tests.</summary>
    public static int Live { get { lock (gate) return live; } }
    /// <summary>Threads waiting for work, for tests.</summary>
    public static int Idle { get { lock (gate) return idle; } }

    internal static void Run(DtlsWorker work)
    {
        bool handed;
        lock (gate)
        {
            pending.Enqueue(work);
            handed = idle > 0;
            if (handed) idle--;
            else live++;
        }
        if (handed) signal.Release();
        else StartThread(); // none idle: this caller pays for the thread, once
        EnsureSpare();
    }

    /// <summary>Makes spare threads in the background until <see cref="Spare"/> are idle or on their way.</summary>
    public static void EnsureSpare()
    {
        int missing;
        lock (gate)
        {
            missing = Spare - idle - spawning;
            if (missing <= 0) return;
            spawning += missing;
        }
        ThreadPool.UnsafeQueueUserWorkItem(static n =>
        {
            for (var i = 0; i < n; i++)
            {
                lock (gate) { spawning--; live++; idle++; } // counted idle from the start: Run may hand it work at once
                StartThread(startIdle: true);
            }
        }, missing, preferLocal: false);
    }

    private static void StartThread(bool startIdle = false) =>
        new Thread(() => Loop(startIdle)) { IsBackground = true, Name = $"dtls-{Interlocked.Increment(ref nextId)}" }.Start();

    private static void Loop(bool startIdle)
    {
        var waiting = startIdle; // already counted in idle
        while (true)
        {
            if (!waiting)
            {
                DtlsWorker? work;
                lock (gate)
                {
                    if (!pending.TryDequeue(out work)) idle++;
                }
                if (work is not null) { work.Execute(); continue; }
            }
            waiting = false;
            if (signal.Wait(IdleLifetime)) continue; // work was handed to the idle threads: take it from the queue
            bool claimed;
            lock (gate)
            {
                claimed = idle == 0; // every idle slot was handed work: a release is ours to take
                if (!claimed)
                {
                    idle--;
                    if (pending.Count == 0) { live--; return; }
                }
            }
            // Either take the release Run made (or is about to make) for us, or go take the pending work directly.
            if (claimed) signal.Wait();
        }
    }
}
