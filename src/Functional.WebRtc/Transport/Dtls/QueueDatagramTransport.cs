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
/// During the handshake it also paces BouncyCastle's retransmissions: BouncyCastle resends its last flight whenever
/// Receive reports a timeout (-1), starting at 1 s and doubling to 60 s. Reporting the timeout on our own schedule
/// (<see cref="DtlsOptions.InitialRetransmitTimeout"/> doubling to <see cref="DtlsOptions.MaxRetransmitTimeout"/>)
/// keeps a handshake under loss from stalling for tens of seconds behind one lost flight.
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
    private readonly long initialRetransmitTicks;
    private readonly long maxRetransmitTicks;

    // Retransmission pacing (touched only by the DTLS thread: Receive and the Sends it makes).
    private bool pacing = true;
    private long retransmitTicks;
    private long retransmitDeadline;
    private bool lastReceiveTimedOut;

    private long datagramsSent, datagramsReceived, datagramsDropped, timeoutsReported;

    public QueueDatagramTransport(DatagramSender send, DtlsOptions? options = null)
    {
        var o = options ?? DtlsOptions.Default;
        this.send = send;
        mtu = o.Mtu;
        receiveLimit = o.ReceiveLimit;
        maxQueued = o.MaxQueuedDatagrams;
        inbound = new BlockingCollection<byte[]>(new ConcurrentQueue<byte[]>());
        initialRetransmitTicks = (long)(o.InitialRetransmitTimeout.TotalSeconds * Stopwatch.Frequency);
        maxRetransmitTicks = (long)(o.MaxRetransmitTimeout.TotalSeconds * Stopwatch.Frequency);
        pacing = initialRetransmitTicks > 0;
        ResetRetransmitTimer();
    }

    public bool IsClosed => closed.IsCancellationRequested;
    /// <summary>Counters for diagnostics and tests.</summary>
    public (long Sent, long Received, long Dropped, long Timeouts) Counters =>
        (Interlocked.Read(ref datagramsSent), Interlocked.Read(ref datagramsReceived), Interlocked.Read(ref datagramsDropped), Interlocked.Read(ref timeoutsReported));

    /// <summary>Hands a received DTLS datagram (first byte 20..63) to the handshake / record layer. Thread-safe.</summary>
    public void Enqueue(byte[] datagram)
    {
        if (IsClosed) return;
        // Bound memory if nobody reads (e.g. a flood before Start): drop, as a network would.
        if (inbound.Count >= maxQueued) { Interlocked.Increment(ref datagramsDropped); return; }
        try { inbound.Add(datagram); Interlocked.Increment(ref datagramsReceived); }
        catch (InvalidOperationException) { /* completed by Close */ }
    }

    /// <summary>Stops pacing retransmissions once the handshake is over (BouncyCastle's own timers, if any, remain).</summary>
    internal void HandshakeFinished() => pacing = false;

    /// <summary>Blocks until a datagram is there or <paramref name="timeout"/> passes (the reader waits outside locks).</summary>
    internal bool WaitForData(TimeSpan timeout)
    {
        if (inbound.Count > 0) return true;
        try
        {
            // BlockingCollection has no peek: take the datagram and keep it in a one-slot stash for the next Receive.
            if (inbound.TryTake(out var d, timeout == Timeout.InfiniteTimeSpan ? Timeout.Infinite : (int)Math.Min(int.MaxValue, timeout.TotalMilliseconds), closed.Token)) { stash = d; return true; }
        }
        catch (OperationCanceledException) { }
        return false;
    }

    private byte[]? stash;

    public int GetReceiveLimit() => receiveLimit;
    public int GetSendLimit() => mtu;

    /// <summary>
    /// Copies the next datagram into <paramref name="buf"/>; returns its length, or -1 on timeout.
    /// <paramref name="waitMillis"/> &lt;= 0 means do not wait. Throws once closed (BouncyCastle then gives up).
    /// </summary>
    public int Receive(byte[] buf, int off, int len, int waitMillis)
    {
        if (IsClosed) throw new TlsFatalAlert(AlertDescription.user_canceled);
        if (stash is { } stashed)
        {
            stash = null;
            return Deliver(stashed, buf, off, len);
        }
        var wait = Math.Max(0, waitMillis);
        var now = Stopwatch.GetTimestamp();
        var ourTimer = false;
        if (pacing)
        {
            var remaining = (int)Math.Max(0, (retransmitDeadline - now) * 1000 / Stopwatch.Frequency);
            if (remaining < wait) { wait = remaining; ourTimer = true; }
        }
        try
        {
            if (inbound.TryTake(out var datagram, wait, closed.Token))
                return Deliver(datagram, buf, off, len);
        }
        catch (OperationCanceledException) { throw new TlsFatalAlert(AlertDescription.user_canceled); }
        catch (InvalidOperationException) { throw new TlsFatalAlert(AlertDescription.user_canceled); }

        if (pacing)
        {
            // Whether it was our timer or BouncyCastle's, it will now resend its flight: back off ours.
            retransmitTicks = Math.Min(retransmitTicks * 2, maxRetransmitTicks);
            retransmitDeadline = Stopwatch.GetTimestamp() + retransmitTicks;
            lastReceiveTimedOut = true;
            if (ourTimer) Interlocked.Increment(ref timeoutsReported);
        }
        return -1;
    }

    private int Deliver(byte[] datagram, byte[] buf, int off, int len)
    {
        lastReceiveTimedOut = false;
        var n = Math.Min(len, datagram.Length);
        Buffer.BlockCopy(datagram, 0, buf, off, n);
        return n;
    }

    /// <summary>Sends one datagram through the delegate; one writer at a time. Silently dropped once closed.</summary>
    public void Send(byte[] buf, int off, int len)
    {
        if (pacing && !lastReceiveTimedOut)
        {
            // A send that does not follow a timeout starts a new flight: restart the retransmission timer.
            ResetRetransmitTimer();
        }
        lock (sendLock)
        {
            if (IsClosed) return;
            Interlocked.Increment(ref datagramsSent);
            try { send(buf.AsSpan(off, len)); }
            catch (Exception) { /* a datagram path may fail (unreachable, closed socket): treat as loss */ }
        }
    }

    private void ResetRetransmitTimer()
    {
        retransmitTicks = initialRetransmitTicks;
        retransmitDeadline = Stopwatch.GetTimestamp() + retransmitTicks;
    }

    /// <summary>Closes: further sends are dropped and every blocked or future Receive throws.</summary>
    public void Close()
    {
        if (IsClosed) return;
        lock (sendLock) { closed.Cancel(); }
        inbound.CompleteAdding();
    }
}
