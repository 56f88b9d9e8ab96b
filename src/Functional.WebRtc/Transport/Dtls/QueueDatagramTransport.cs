using System.Collections.Concurrent;
using System.Diagnostics;
using Org.BouncyCastle.Crypto.Tls;

namespace Functional.WebRtc.Transport.Dtls;

/// <summary>Sends one datagram on the path the DTLS records travel (the ICE-selected pair in the real stack).</summary>
public delegate void DatagramSender(ReadOnlySpan<byte> datagram);

/// <summary>
/// BouncyCastle's <see cref="DatagramTransport"/> over a queue: the demultiplexer pushes received DTLS datagrams in
/// with <see cref="Enqueue"/>; <see cref="Receive"/> blocks on a real wait (a BlockingCollection) with a timeout;
/// <see cref="Send"/> goes to the caller's delegate, one writer at a time. <see cref="Close"/> wakes every waiter.
/// <para>
/// Fast flight repetition. BouncyCastle 1.8.10 resends a lost flight after 1 s, then 2, 4, 8 ... 60 s, and its record
/// layer hides early timeouts from the handshake layer, so that schedule cannot be shortened from outside. This
/// transport therefore remembers the datagrams of our last flight (everything sent since the last receive) and, while
/// waiting for the answer, repeats them itself (until our next flight starts) after <see cref="DtlsOptions.InitialRetransmitTimeout"/>, doubling to
/// <see cref="DtlsOptions.MaxRetransmitTimeout"/>, at most <see cref="DtlsOptions.MaxFlightRepeats"/> times.
/// A repeated datagram is byte-identical: the peer's replay window drops the records it already has and accepts the
/// ones that were lost, which is what a retransmission is for. BouncyCastle's own (re-encrypted) retransmissions
/// continue as before. The final flight (the server's ChangeCipherSpec + Finished) is repeated the same way after the
/// handshake until the peer sends anything, which recovers a lost final flight without waiting for the peer's timer.
/// </para>
/// <para>
/// No reader thread after the handshake. When the endpoint's own record layer takes over (AES-GCM suites), it calls
/// <see cref="ReaderEnded"/>: the final flight's repetition then runs on a timer (not a thread) until the peer
/// answers, and <see cref="ResendFinalFlight"/> sends it again whenever the peer retransmits its own last flight
/// (RFC 6347 section 4.2.4). The final flight is captured by <see cref="HandshakeFinished"/> in every case (also
/// with repetition off).
/// </para>
/// </summary>
public sealed class QueueDatagramTransport : DatagramTransport
{
    private readonly BlockingCollection<byte[]> inbound;
    private readonly CancellationTokenSource closed = new();
    private readonly DatagramSender send;
    private readonly Lock sendLock = new();
    private readonly int mtu;
    private readonly int receiveLimit;
    private readonly int maxQueued;
    private readonly long initialRepeatTicks;
    private readonly long maxRepeatTicks;
    private readonly int maxRepeats;

    // Flight repetition state, guarded by sendLock.
    private readonly List<byte[]> flight = [];
    private bool recording = true;       // false once the handshake is over (application data is not a flight)
    private bool inFlight;               // the last thing that happened was a send (a flight is being written)
    private bool awaitingAnswer;         // the flight is unanswered: repeat it when the timer runs out
    private long repeatTicks;
    private long repeatDeadline;
    private int repeats;
    private long lastRepeatAt;
    private byte[][] finalFlight = [];  // our last flight, resent when the peer retransmits its own (server side)
    private Timer? repeatTimer;          // repeats the final flight once no thread waits in Take
    private volatile bool repeating = true;  // false once nothing can need repeating any more (steady state)
    private readonly System.Collections.Generic.HashSet<ulong> seen = [];

    // Records of the flight being written, sent as one datagram (RFC 6347 section 4.1.1 allows several records per
    // datagram) when the flight ends: when the handshake next waits for the peer, finishes, or closes, or when the next
    // record would not fit the MTU. Guarded by sendLock.
    private byte[]? pending;
    private int pendingLength;

    private byte[]? stash;               // one datagram taken by WaitForData, handed out by the next Receive
    private long datagramsSent, datagramsReceived, datagramsDropped, datagramsRepeated;

    private volatile ChangeCipherSpecGate? gate;

    /// <summary>
    /// For a DTLS server: hold back the client's ChangeCipherSpec until its Certificate, ClientKeyExchange and
    /// CertificateVerify are in (see <see cref="ChangeCipherSpecGate"/>). Call before the handshake starts.
    /// </summary>
    internal void GateChangeCipherSpec() => gate = new ChangeCipherSpecGate();

    public QueueDatagramTransport(DatagramSender send, DtlsOptions? options = null)
    {
        var o = options ?? DtlsOptions.Default;
        this.send = send;
        mtu = o.Mtu;
        receiveLimit = o.ReceiveLimit;
        maxQueued = o.MaxQueuedDatagrams;
        inbound = new BlockingCollection<byte[]>(new ConcurrentQueue<byte[]>());
        initialRepeatTicks = (long)(o.InitialRetransmitTimeout.TotalSeconds * Stopwatch.Frequency);
        maxRepeatTicks = Math.Max(initialRepeatTicks, (long)(o.MaxRetransmitTimeout.TotalSeconds * Stopwatch.Frequency));
        maxRepeats = initialRepeatTicks > 0 ? o.MaxFlightRepeats : 0;
        repeating = maxRepeats > 0;
    }

    public bool IsClosed => closed.IsCancellationRequested;

    /// <summary>Counters for diagnostics and tests: datagrams sent (including repeats), received, dropped on a full queue, repeated.</summary>
    public (long Sent, long Received, long Dropped, long Repeated) Counters =>
        (Interlocked.Read(ref datagramsSent), Interlocked.Read(ref datagramsReceived), Interlocked.Read(ref datagramsDropped), Interlocked.Read(ref datagramsRepeated));

    /// <summary>Hands a received DTLS datagram (first byte 20..63) to the handshake / record layer. Thread-safe.</summary>
    public void Enqueue(byte[] datagram)
    {
        if (IsClosed) return;
        // Bound memory if nobody reads (e.g. a flood before Start): drop, as a network would.
        if (inbound.Count >= maxQueued) { Interlocked.Increment(ref datagramsDropped); return; }
        if (gate is { } g)
        {
            lock (g)
            {
                if (g.Filter(datagram) is { } kept) datagram = kept;
                else { Interlocked.Increment(ref datagramsDropped); return; }
            }
        }
        try { inbound.Add(datagram); Interlocked.Increment(ref datagramsReceived); }
        catch (InvalidOperationException) { /* completed by Close */ }
    }

    /// <summary>The handshake is over: later sends are application data, not a flight to repeat.</summary>
    /// <param name="lastFlightMayBeLost">True for the side that sent the final flight (a server): keep repeating it
    /// until the peer sends anything. False for the side that received it (a client): stop repeating.</param>
    internal void HandshakeFinished(bool lastFlightMayBeLost)
    {
        lock (sendLock)
        {
            FlushPending();
            pending = null; // later sends go out one by one (idle memory)
            recording = false;
            gate = null; // the client's CertificateVerify is in: nothing left to hold back
            finalFlight = lastFlightMayBeLost ? [.. flight] : [];
            if (!lastFlightMayBeLost || flight.Count == 0) { awaitingAnswer = false; flight.Clear(); repeating = false; ForgetSeen(); }
        }
    }

    public int GetReceiveLimit() => receiveLimit;
    public int GetSendLimit() => mtu;

    /// <summary>
    /// Copies the next datagram into <paramref name="buf"/>; returns its length, or -1 after <paramref name="waitMillis"/>
    /// (&lt;= 0: do not wait). Repeats our unanswered flight while waiting. Throws once closed (BouncyCastle then gives up).
    /// </summary>
    public int Receive(byte[] buf, int off, int len, int waitMillis)
    {
        var datagram = Take(Math.Max(0, waitMillis));
        if (datagram is null) return -1;
        var n = Math.Min(len, datagram.Length);
        Buffer.BlockCopy(datagram, 0, buf, off, n);
        return n;
    }

    /// <summary>Blocks until a datagram is there (kept for the next Receive); false once closed or after <paramref name="timeout"/>.</summary>
    internal bool WaitForData(TimeSpan timeout)
    {
        if (stash is not null) return true;
        try
        {
            stash = Take(timeout == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Min(int.MaxValue, timeout.TotalMilliseconds));
            return stash is not null;
        }
        catch (TlsFatalAlert) { return false; }
    }

    /// <summary>Takes one datagram, waiting up to <paramref name="waitMillis"/> (-1: forever) and repeating our flight when due.</summary>
    private byte[]? Take(int waitMillis)
    {
        if (stash is { } stashed) { stash = null; return Received(stashed); }
        var end = waitMillis < 0 ? long.MaxValue : Stopwatch.GetTimestamp() + waitMillis * Stopwatch.Frequency / 1000;
        lock (sendLock)
        {
            inFlight = false;
            FlushPending(); // our flight is complete: BouncyCastle waits for the answer
        }
        while (true)
        {
            if (IsClosed) throw new TlsFatalAlert(AlertDescription.user_canceled);
            var now = Stopwatch.GetTimestamp();
            var until = end;
            long deadline;
            lock (sendLock) deadline = awaitingAnswer ? repeatDeadline : long.MaxValue;
            if (deadline < until) until = deadline;
            var wait = until == long.MaxValue ? Timeout.Infinite : (int)Math.Max(0, (until - now) * 1000 / Stopwatch.Frequency);
            try
            {
                if (inbound.TryTake(out var datagram, wait, closed.Token)) return Received(datagram);
            }
            catch (OperationCanceledException) { throw new TlsFatalAlert(AlertDescription.user_canceled); }
            catch (InvalidOperationException) { throw new TlsFatalAlert(AlertDescription.user_canceled); }
            now = Stopwatch.GetTimestamp();
            if (now >= end) return null;
            RepeatFlightIfDue(now);
        }
    }

    private byte[] Received(byte[] datagram)
    {
        if (!repeating) return datagram; // the steady state after the handshake: nothing to track
        lock (sendLock)
        {
            // A byte-identical copy of something already received is the peer repeating its flight: it is still
            // waiting for ours, so repeat ours now (at most every 100 ms) instead of waiting for a timer.
            var duplicate = !seen.Add(Fnv1a(datagram));
            if (seen.Count > 512) seen.Clear();
            if (!recording && IsApplicationTraffic(datagram))
            {
                // After the handshake: protected non-handshake traffic proves the peer has our final flight.
                awaitingAnswer = false;
                flight.Clear();
                repeating = false;
                seen.Clear();
            }
            var now = Stopwatch.GetTimestamp();
            if (duplicate && flight.Count > 0 && now - lastRepeatAt > Stopwatch.Frequency / 10) RepeatFlight(now, byTimer: false);
        }
        return datagram;
    }

    /// <summary>
    /// The endpoint opened application data itself (the record never came through <see cref="Receive"/>): the peer
    /// has our final flight, stop repeating it.
    /// </summary>
    internal void ApplicationTrafficReceived()
    {
        if (!repeating) return;
        lock (sendLock)
        {
            if (recording) return;
            awaitingAnswer = false;
            flight.Clear();
            repeating = false;
            ForgetSeen();
            repeatTimer?.Dispose();
            repeatTimer = null;
        }
    }

    /// <summary>The handshake's duplicate detection is over: drop its table too (idle memory). Call under sendLock.</summary>
    private void ForgetSeen()
    {
        seen.Clear();
        seen.TrimExcess();
    }

    /// <summary>Datagrams queued for a reader that will not come (the endpoint reads them itself from now on).</summary>
    internal bool TryTakeQueued(out byte[] datagram)
    {
        datagram = null!;
        if (stash is { } s) { stash = null; datagram = s; return true; }
        try { return inbound.TryTake(out datagram!); }
        catch (ObjectDisposedException) { return false; }
    }

    /// <summary>
    /// The handshake is over and no thread will wait in <see cref="Receive"/> any more: repeat a pending final flight
    /// on a timer instead (until the peer answers, <see cref="Close"/>, or the repeats run out).
    /// </summary>
    internal void ReaderEnded()
    {
        lock (sendLock)
        {
            if (!awaitingAnswer || IsClosed || repeatTimer is not null) return;
            repeatTimer = new Timer(_ => OnRepeatTimer(), null, Timeout.Infinite, Timeout.Infinite);
            ScheduleRepeatTimer(Stopwatch.GetTimestamp());
        }
    }

    private void OnRepeatTimer()
    {
        lock (sendLock)
        {
            if (repeatTimer is null) return;
            var now = Stopwatch.GetTimestamp();
            if (awaitingAnswer && now >= repeatDeadline) RepeatFlight(now, byTimer: true);
            ScheduleRepeatTimer(now);
        }
    }

    /// <summary>Arms the timer for the next repeat, or drops it when nothing is left to repeat. Call under sendLock.</summary>
    private void ScheduleRepeatTimer(long now)
    {
        if (repeatTimer is null) return;
        if (!awaitingAnswer || IsClosed)
        {
            repeatTimer.Dispose();
            repeatTimer = null;
            return;
        }
        var dueMs = Math.Max(1, (repeatDeadline - now) * 1000 / Stopwatch.Frequency + 1);
        repeatTimer.Change(dueMs, Timeout.Infinite);
    }

    /// <summary>
    /// The peer retransmitted its last flight after our handshake finished: it lacks our final flight, so send it again
    /// (RFC 6347 section 4.2.4), byte for byte, at most every 100 ms (one retransmitted flight may span several
    /// datagrams). False when there is nothing to resend (a client) or it was resent just now.
    /// </summary>
    internal bool ResendFinalFlight()
    {
        lock (sendLock)
        {
            if (IsClosed || finalFlight.Length == 0) return false;
            var now = Stopwatch.GetTimestamp();
            if (now - lastRepeatAt < Stopwatch.Frequency / 10) return false;
            lastRepeatAt = now;
            foreach (var d in finalFlight)
            {
                Interlocked.Increment(ref datagramsSent);
                Interlocked.Increment(ref datagramsRepeated);
                try { send(d); } catch (Exception) { /* treat as loss */ }
            }
            return true;
        }
    }

    /// <summary>Sends a datagram of application data records made by the endpoint (not a flight); one writer at a time.</summary>
    internal void SendApplicationData(ReadOnlySpan<byte> datagram)
    {
        lock (sendLock)
        {
            if (IsClosed) return;
            Interlocked.Increment(ref datagramsSent);
            try { send(datagram); }
            catch (Exception) { /* treat as loss */ }
        }
    }

    /// <summary>Application data or an alert in a protected epoch (RFC 6347 section 4.1: epoch at bytes 3..4).</summary>
    private static bool IsApplicationTraffic(byte[] d) =>
        d.Length >= 13 && (d[0] == 23 || (d[0] == 21 && (d[3] | d[4]) != 0));

    private static ulong Fnv1a(ReadOnlySpan<byte> data)
    {
        var h = 14695981039346656037UL;
        foreach (var b in data) h = (h ^ b) * 1099511628211UL;
        return h ^ (ulong)data.Length;
    }

    private void RepeatFlightIfDue(long now)
    {
        lock (sendLock)
        {
            if (awaitingAnswer && now >= repeatDeadline) RepeatFlight(now, byTimer: true);
        }
    }

    /// <summary>Sends our last flight again, byte for byte. Call under sendLock.</summary>
    private void RepeatFlight(long now, bool byTimer)
    {
        if (IsClosed) return;
        foreach (var d in flight)
        {
            Interlocked.Increment(ref datagramsSent);
            Interlocked.Increment(ref datagramsRepeated);
            try { send(d); } catch (Exception) { /* treat as loss */ }
        }
        lastRepeatAt = now;
        if (!byTimer) return;
        repeats++;
        repeatTicks = Math.Min(repeatTicks * 2, maxRepeatTicks);
        repeatDeadline = now + repeatTicks;
        awaitingAnswer = repeats < maxRepeats;
    }

    /// <summary>Sends one datagram through the delegate; one writer at a time. Silently dropped once closed.</summary>
    public void Send(byte[] buf, int off, int len)
    {
        lock (sendLock)
        {
            if (IsClosed) return;
            if (recording)
            {
                if (!inFlight)
                {
                    // The first send after a receive (or a BouncyCastle timeout) starts a new flight.
                    flight.Clear();
                    inFlight = true;
                    repeats = 0;
                    repeatTicks = initialRepeatTicks;
                }
                if (maxRepeats > 0)
                {
                    awaitingAnswer = true;
                    repeatDeadline = Stopwatch.GetTimestamp() + repeatTicks;
                }
                if (Coalesce)
                {
                    if (pendingLength + len > mtu) FlushPending();
                    if (pending is null || pending.Length < pendingLength + len) Array.Resize(ref pending, Math.Max(mtu, pendingLength + len));
                    buf.AsSpan(off, len).CopyTo(pending.AsSpan(pendingLength));
                    pendingLength += len;
                    return;
                }
                // Recorded even with repetition off: the final flight is resent when the peer retransmits.
                flight.Add(buf.AsSpan(off, len).ToArray());
            }
            else FlushPending();
            Interlocked.Increment(ref datagramsSent);
            try { send(buf.AsSpan(off, len)); }
            catch (Exception) { /* a datagram path may fail (unreachable, closed socket): treat as loss */ }
        }
    }

    /// <summary>
    /// Sends the records written so far as one datagram (a fatal alert before a close, the server's final flight when
    /// the handshake completes). Thread-safe.
    /// </summary>
    internal void Flush()
    {
        lock (sendLock) FlushPending();
    }

    /// <summary>The pending records as one datagram, recorded as part of the flight. Call under sendLock.</summary>
    private void FlushPending()
    {
        if (pendingLength == 0) return;
        var datagram = pending.AsSpan(0, pendingLength).ToArray();
        pendingLength = 0;
        if (IsClosed) return;
        // Recorded even with repetition off: the final flight is resent when the peer retransmits.
        if (recording) flight.Add(datagram);
        Interlocked.Increment(ref datagramsSent);
        try { send(datagram); }
        catch (Exception) { /* treat as loss */ }
    }

    /// <summary>
    /// Whether a flight's records go out together in as few datagrams as the MTU allows (true, the default) or one
    /// record per datagram as BouncyCastle writes them (false: benchmarks compare the two).
    /// </summary>
    internal static volatile bool Coalesce = true;

    /// <summary>Closes: further sends are dropped and every blocked or future Receive throws.</summary>
    public void Close()
    {
        if (IsClosed) return;
        lock (sendLock)
        {
            FlushPending(); // e.g. the fatal alert BouncyCastle sent just before closing
            pending = null;
            closed.Cancel();
            flight.Clear();
            finalFlight = [];
            awaitingAnswer = false;
            repeatTimer?.Dispose();
            repeatTimer = null;
        }
        inbound.CompleteAdding();
    }
}
