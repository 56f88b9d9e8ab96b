using Functional.WebRtc.Core.Dtls;
using LanguageExt;
using Org.BouncyCastle.Crypto.Tls;
using Org.BouncyCastle.Security;
using BcCertificate = Org.BouncyCastle.Crypto.Tls.Certificate;

namespace Functional.WebRtc.Transport.Dtls;

/// <summary>Receives one datagram of application data; the span is only valid during the call (copy to keep it).</summary>
public delegate void DtlsDataHandler(ReadOnlySpan<byte> data);

/// <summary>
/// One DTLS 1.2 association for WebRTC (RFC 5763/5764, RFC 8827); BouncyCastle runs the handshake on a dedicated thread.
/// <list type="bullet">
/// <item>Received DTLS datagrams go in with <see cref="ReceiveDatagram"/>; our datagrams go out through the
/// <see cref="DatagramSender"/> given to the constructor (the ICE-selected pair).</item>
/// <item><see cref="Start"/> runs the client or server handshake. Both sides present certificates; the peer's is
/// checked against the SDP fingerprints (<see cref="SetRemoteFingerprints"/>, which may come late: the check waits).</item>
/// <item>On success: <see cref="Connected"/> with the SRTP profile and keying material, state connected; then
/// <see cref="Send"/> and <see cref="DataReceived"/> carry application data (SCTP packets).</item>
/// <item><see cref="Close"/> sends close_notify, stops the thread (if still running) and waits for it to end.</item>
/// </list>
/// After the handshake. With an AES-GCM suite (what browsers negotiate, and we) BouncyCastle runs the handshake only
/// and its thread ENDS once connected: no thread per association at idle. Every later record is handled by
/// <see cref="ApplicationRecordLayer"/>: application_data is sealed by <see cref="Send"/> on the caller's thread and
/// opened inside <see cref="ReceiveDatagram"/>, which raises <see cref="DataReceived"/> on ITS caller's thread (the socket
/// receive loop); a protected close_notify is answered with ours (state closed), a fatal alert fails the association,
/// and the peer's retransmitted last flight makes us resend our final flight (RFC 6347 section 4.2.4), all on that
/// same thread. With other suites, or <see cref="DtlsOptions.FastApplicationData"/> off, the thread stays and
/// BouncyCastle's record layer carries everything (DataReceived on the DTLS thread).
/// Other events are raised on the DTLS thread, the receiving thread or the thread calling Close; handlers must be quick
/// and must not block (post to your own loop). Calling Close from a handler is allowed.
/// </summary>
public sealed class DtlsEndpoint : IDisposable, IDtlsSession
{
    private static int nextId;
    private static int liveThreads;
    private int shutDown;                             // 1 once closing or closed (Close, peer close_notify, fatal alert)

    private readonly QueueDatagramTransport transport;
    private readonly CancellationTokenSource closing = new();
    private readonly Lock stateLock = new();
    private readonly Lock recordLock = new();
    private readonly ManualResetEventSlim fingerprintsKnown = new(false);
    private readonly TaskCompletionSource<DtlsHandshakeResult> handshake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int id = Interlocked.Increment(ref nextId);
    private readonly DateTime createdAt = DateTime.UtcNow;

    private Seq<Fingerprint> remoteFingerprints;
    private DtlsTransportState state = DtlsTransportState.New;
    private DtlsWorker? thread;
    private DtlsTransport? dtls;
    private TlsPeer? peer;
    private byte[]? peerCertificate;
    private volatile bool peerClosed;
    private DateTime handshakeStartedAt;
    private DtlsAeadKeys? aeadKeys;                  // from NotifyHandshakeComplete until the record layer takes them
    private volatile ApplicationRecordLayer? records; // our record layer after the handshake (AES-GCM suites)
    private volatile bool fastReceive;                // records reads every received datagram (after Connected)

    public DtlsEndpoint(DtlsRole role, DtlsCertificate certificate, DatagramSender send,
        IEnumerable<Fingerprint>? remoteFingerprints = null, DtlsOptions? options = null)
    {
        if (role == DtlsRole.Auto) throw new ArgumentException("resolve the role (DtlsSetupRules.Resolve) before starting DTLS", nameof(role));
        Role = role;
        Certificate = certificate;
        Options = options ?? DtlsOptions.Default;
        transport = new QueueDatagramTransport(send, Options);
        if (role == DtlsRole.Server) transport.GateChangeCipherSpec();
        this.remoteFingerprints = remoteFingerprints?.ToSeq().Strict() ?? Seq<Fingerprint>.Empty;
        if (!this.remoteFingerprints.IsEmpty) fingerprintsKnown.Set();
    }

    public DtlsRole Role { get; }
    public DtlsCertificate Certificate { get; }
    public DtlsOptions Options { get; }
    public DtlsTransportState State { get { lock (stateLock) return state; } }
    /// <summary>The handshake's outcome once connected.</summary>
    public DtlsHandshakeResult? Result { get; private set; }
    /// <summary>Why the association failed (or was closed before it connected).</summary>
    public string? FailureReason { get; private set; }
    /// <summary>Completes when connected (right after the Connected event); faults when the handshake fails or the endpoint closes first.</summary>
    public Task<DtlsHandshakeResult> Handshake => handshake.Task;
    /// <summary>The largest application-data payload that fits one datagram of <see cref="DtlsOptions.Mtu"/> (after connect).</summary>
    public int MaxApplicationDataSize { get { if (records is { } r) return r.SendLimit; lock (recordLock) return dtls?.GetSendLimit() ?? 0; } }
    /// <summary>The transport under the record layer (counters, for diagnostics).</summary>
    public QueueDatagramTransport Transport => transport;
    /// <summary>
    /// DTLS threads started by any endpoint and not yet ended (for leak tests): handshakes in progress, and associations
    /// on BouncyCastle's record layer (non-AES-GCM suites). A connected AES-GCM association has none.
    /// </summary>
    public static int LiveThreads => Volatile.Read(ref liveThreads);
    /// <summary>True when the records after the handshake are ours (AES-GCM suites: no thread), not BouncyCastle's.</summary>
    public bool FastApplicationData => records is not null;
    /// <summary>Our application-data record layer, when in use (counters, for tests).</summary>
    internal ApplicationRecordLayer? ApplicationRecords => records;
    /// <summary>True once the DTLS thread has ended (or never started); right after connect with an AES-GCM suite.</summary>
    public bool ThreadEnded => thread is not { IsAlive: true };

    /// <summary>new -> connecting -> connected | failed -> closed.</summary>
    public event Action<DtlsTransportState>? StateChanged;
    /// <summary>The handshake completed and the peer's certificate matched.</summary>
    public event Action<DtlsHandshakeResult>? Connected;
    /// <summary>Application data (an SCTP packet) arrived.</summary>
    public event DtlsDataHandler? DataReceived;

    /// <summary>
    /// The fingerprints from the remote description (a=fingerprint). The peer's certificate must match one.
    /// May be called before Start, during the handshake (a waiting check resumes) or after (re-checked).
    /// </summary>
    public void SetRemoteFingerprints(IEnumerable<Fingerprint> fingerprints)
    {
        var fs = fingerprints.ToSeq().Strict();
        byte[]? connectedPeer;
        lock (stateLock)
        {
            remoteFingerprints = fs;
            connectedPeer = state == DtlsTransportState.Connected ? peerCertificate : null;
        }
        if (!fs.IsEmpty) fingerprintsKnown.Set();
        if (connectedPeer is not null && !Fingerprint.MatchesAny(fs, connectedPeer))
        {
            Fail("the remote fingerprint changed and no longer matches the peer's certificate");
            Shutdown(sendCloseNotify: false);
        }
    }

    /// <summary>
    /// Starts the handshake on a new thread (state connecting). Call once. A dedicated thread, not a thread-pool work
    /// item: BouncyCastle blocks it for the whole handshake (waiting for flights, for the remote fingerprints, up to
    /// <see cref="DtlsOptions.HandshakeTimeout"/>), and many handshakes at once would starve the pool that runs the
    /// socket receives feeding them. What the thread costs (benchmarks/results/dtls-idle.md): starting one took ~1 ms
    /// on a heavily loaded 2-core machine (mostly waiting to be scheduled) against ~30 us for a work item, next to a
    /// ~4 ms handshake; with AES-GCM the thread ends as soon as the handshake does.
    /// </summary>
    public void Start()
    {
        lock (stateLock)
        {
            if (state != DtlsTransportState.New) throw new InvalidOperationException($"DTLS endpoint is {state.ToW3C()}");
            thread = new DtlsWorker(Run, $"dtls-{(Role == DtlsRole.Client ? "client" : "server")}-{id}");
        }
        Move(DtlsTransportState.Connecting);
        Interlocked.Increment(ref liveThreads);
        thread.Start();
    }

    /// <summary>
    /// A received DTLS datagram (RFC 7983: first byte 20..63) from the demultiplexer. Thread-safe. During the
    /// handshake (and on BouncyCastle's record layer) it is copied to the DTLS thread's queue. Once connected with an
    /// AES-GCM suite it is read here, on the calling thread: <see cref="DataReceived"/> for application data, and
    /// alerts and retransmissions acted on.
    /// </summary>
    public void ReceiveDatagram(ReadOnlySpan<byte> datagram)
    {
        if (fastReceive)
        {
            ReadRecords(datagram);
            return;
        }
        transport.Enqueue(datagram.ToArray());
        // The switch to our record layer may have happened meanwhile, after its drain of the queue: read it here.
        Interlocked.MemoryBarrier();
        if (fastReceive) DrainQueued();
    }

    /// <summary>Reads one datagram with our record layer (after connect, AES-GCM) and acts on what it reports.</summary>
    private void ReadRecords(ReadOnlySpan<byte> datagram)
    {
        if (records is not { } r || closing.IsCancellationRequested) return;
        var control = r.Receive(datagram, DataReceived);
        if (control.PeerRetransmitted) transport.ResendFinalFlight();
        if (control.Alert is { } alert) AlertEnded(alert);
    }

    /// <summary>Datagrams queued for the DTLS thread before our record layer took over (or racing with the switch).</summary>
    private void DrainQueued()
    {
        while (!closing.IsCancellationRequested && transport.TryTakeQueued(out var d)) ReadRecords(d);
    }

    /// <summary>
    /// The peer ended the association with a protected alert. close_notify: answer with ours (RFC 5246 section 7.2.1)
    /// and close. A fatal alert: fail, sending nothing (RFC 5246 section 7.2.2).
    /// </summary>
    private void AlertEnded(DtlsAlert alert)
    {
        if (Interlocked.Exchange(ref shutDown, 1) != 0) return;
        if (alert.IsCloseNotify)
        {
            records?.SendCloseNotify();
            FailureReason ??= "closed by the peer (close_notify)";
        }
        else FailureReason ??= $"peer sent fatal alert {AlertDescription.GetText(alert.Description)}";
        closing.Cancel();
        records?.Dispose();
        transport.Close();
        if (alert.IsCloseNotify) Move(DtlsTransportState.Closed);
        else Fail(FailureReason);
    }

    /// <summary>
    /// Sends application data in one DTLS record (one datagram). False when not connected (or closed), or larger than
    /// 2^14 octets: the data is dropped. Thread-safe (one record at a time); no allocation on the AES-GCM path.
    /// </summary>
    public bool Send(ReadOnlySpan<byte> data)
    {
        if (records is { } r) return !closing.IsCancellationRequested && r.Send(data);
        lock (recordLock)
        {
            if (dtls is null || closing.IsCancellationRequested) return false;
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(data.Length);
            try
            {
                data.CopyTo(buffer);
                dtls.Send(buffer, 0, data.Length);
                return true;
            }
            catch (Exception e) when (e is TlsFatalAlert or IOException or InvalidOperationException)
            {
                return false;
            }
            finally { System.Buffers.ArrayPool<byte>.Shared.Return(buffer); }
        }
    }

    /// <summary>
    /// Sends close_notify (if connected: sealed by our record layer with AES-GCM, else by BouncyCastle), stops the DTLS
    /// thread if one still runs and waits for it to end; state closed. Idempotent; allowed from any event handler.
    /// </summary>
    public void Close() => Shutdown(sendCloseNotify: true);

    public void Dispose() => Close();

    private void Shutdown(bool sendCloseNotify)
    {
        if (Interlocked.Exchange(ref shutDown, 1) == 0)
        {
            closing.Cancel();
            if (records is { } r)
            {
                // Our record layer is the epoch's only writer once BouncyCastle's thread is gone (its DtlsTransport.Close
                // would write from the record state it left): close_notify sealed by us (RFC 5246 section 7.2.1).
                if (sendCloseNotify) r.SendCloseNotify();
                r.Dispose();
            }
            lock (recordLock)
            {
                // On BouncyCastle's record layer, DtlsTransport.Close sends close_notify and closes our transport.
                if (dtls is not null && sendCloseNotify) { try { dtls.Close(); } catch (Exception) { } }
            }
            try { peer?.Cancel(); } catch (Exception) { }
            transport.Close();
        }
        var t = thread;
        if (t is not null && !t.IsCurrent) t.Join(Options.CloseTimeout);
        FailureReason ??= "closed";
        // Once connected, the handshake task gets its result (the DTLS thread sets it right after the Connected event).
        if (Result is null || State != DtlsTransportState.Connected)
            handshake.TrySetException(new OperationCanceledException("DTLS endpoint closed before the handshake completed"));
        Move(DtlsTransportState.Closed);
    }

    private void Run()
    {
        var handedOver = false; // our record layer runs the association: the transport and records outlive this thread
        try
        {
            handshakeStartedAt = DateTime.UtcNow;
            var random = new SecureRandom();
            DtlsTransport connected;
            if (Role == DtlsRole.Client)
            {
                var client = new WebRtcDtlsClient(this);
                peer = client;
                connected = new DtlsClientProtocol(random).Connect(client, transport);
            }
            else
            {
                var server = new WebRtcDtlsServer(this);
                peer = server;
                // No HelloVerifyRequest cookie round trip: ICE connectivity checks already proved the address.
                connected = new NetDtlsServerProtocol(random) { VerifyRequests = false }.Accept(server, transport);
            }
            transport.HandshakeFinished(lastFlightMayBeLost: Role == DtlsRole.Server);
            ApplicationRecordLayer? ours = null;
            lock (recordLock)
            {
                if (closing.IsCancellationRequested) { connected.Close(); return; }
                // Our record layer, before Connected (its handlers may send at once); else BouncyCastle's.
                if (aeadKeys is { } keys) ours = ApplicationRecordLayer.Create(connected, keys, Role, transport, Options.ReceiveLimit);
                aeadKeys = null;
                if (ours is null) dtls = connected;
                else records = ours;
            }
            var result = Result;
            if (result is null) { Fail("handshake completed without keying material"); return; }
            if (ours is not null)
            {
                // From here BouncyCastle's objects are not needed (nor kept): the association lives in ours.
                peer = null;
                handedOver = Move(DtlsTransportState.Connected, beforeEvent: () => Connected?.Invoke(result));
                if (handedOver) HandOver(result);
                return; // the thread ends: nothing waits for the peer any more
            }
            if (!Move(DtlsTransportState.Connected, beforeEvent: () => Connected?.Invoke(result))) return;
            handshake.TrySetResult(result);
            ReadLoop(connected);
        }
        catch (Exception e)
        {
            if (closing.IsCancellationRequested) { }
            else if (peerClosed) PeerClosed();
            else if (TimedOut(e))
            {
                FailureReason = $"handshake timed out after {Options.HandshakeTimeout.TotalSeconds:0.#} s";
                Fail(FailureReason);
            }
            else Fail(FailureReason ?? Describe(e));
        }
        finally
        {
            if (!handedOver)
            {
                records?.Dispose();
                transport.Close();
            }
            Interlocked.Decrement(ref liveThreads);
        }
    }

    /// <summary>
    /// Our record layer takes every received datagram from now on (DataReceived only after Connected): first those
    /// queued for BouncyCastle meanwhile, then each on the receiving thread. Our final flight keeps being repeated on a
    /// timer until the peer answers.
    /// </summary>
    private void HandOver(DtlsHandshakeResult result)
    {
        fastReceive = true;
        handshake.TrySetResult(result);
        Interlocked.MemoryBarrier();
        DrainQueued();
        transport.ReaderEnded();
    }

    /// <summary>
    /// After the handshake, keep reading: application data goes to <see cref="DataReceived"/>, and a retransmitted
    /// final flight from the peer makes BouncyCastle resend ours (RFC 6347 section 4.2.4), which only happens inside Receive.
    /// </summary>
    private void ReadLoop(DtlsTransport connected)
    {
        var buffer = new byte[Math.Max(connected.GetReceiveLimit(), Options.ReceiveLimit)];
        while (!closing.IsCancellationRequested)
        {
            // Wait outside the record lock, so Send never waits behind an idle reader.
            if (!transport.WaitForData(Timeout.InfiniteTimeSpan)) break;
            int n;
            lock (recordLock)
            {
                if (closing.IsCancellationRequested) break;
                n = connected.Receive(buffer, 0, buffer.Length, 1);
            }
            if (n >= 0) DataReceived?.Invoke(buffer.AsSpan(0, n));
            if (peerClosed) break;
        }
        if (peerClosed && !closing.IsCancellationRequested) PeerClosed();
    }

    /// <summary>The peer sent close_notify; BouncyCastle answered with ours and closed the transport.</summary>
    private void PeerClosed()
    {
        Interlocked.Exchange(ref shutDown, 1);
        FailureReason ??= "closed by the peer (close_notify)";
        closing.Cancel();
        transport.Close();
        handshake.TrySetException(new OperationCanceledException("DTLS closed by the peer before the handshake completed"));
        Move(DtlsTransportState.Closed);
    }

    private bool TimedOut(Exception e) =>
        State != DtlsTransportState.Connected && Options.HandshakeTimeout > TimeSpan.Zero && Elapsed() >= Options.HandshakeTimeout - TimeSpan.FromMilliseconds(100)
        && e is TlsFatalAlert { AlertDescription: AlertDescription.handshake_failure };

    private static string Describe(Exception e) => e switch
    {
        TlsFatalAlert a => $"fatal alert {AlertDescription.GetText(a.AlertDescription)}{(a.InnerException is { } inner ? ": " + inner.Message : "")}",
        TlsFatalAlertReceived r => $"peer sent fatal alert {AlertDescription.GetText(r.AlertDescription)}",
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    private TimeSpan Elapsed() => DateTime.UtcNow - handshakeStartedAt;

    private void Fail(string reason)
    {
        FailureReason ??= reason;
        handshake.TrySetException(new InvalidOperationException("DTLS failed: " + reason));
        Move(DtlsTransportState.Failed);
    }

    private bool Move(DtlsTransportState to, Action? beforeEvent = null)
    {
        lock (stateLock)
        {
            if (state == to || !DtlsTransportStates.CanMove(state, to)) return false;
            state = to;
        }
        beforeEvent?.Invoke();
        StateChanged?.Invoke(to);
        return true;
    }

    // ---- IDtlsSession: called by the BouncyCastle peer on the DTLS thread ----

    void IDtlsSession.VerifyPeer(BcCertificate? chain)
    {
        if (chain is null || chain.IsEmpty)
        {
            FailureReason ??= "the peer sent no certificate (WebRTC requires one on both sides)";
            throw new TlsFatalAlert(AlertDescription.handshake_failure);
        }
        var der = chain.GetCertificateAt(0).GetDerEncoded();
        // The remote description may not be applied yet (the offerer's answer races the ClientHello): wait for it.
        var remaining = Options.HandshakeTimeout > TimeSpan.Zero ? Options.HandshakeTimeout - Elapsed() : Timeout.InfiniteTimeSpan;
        if (remaining != Timeout.InfiniteTimeSpan && remaining < TimeSpan.Zero) remaining = TimeSpan.Zero;
        try
        {
            if (!fingerprintsKnown.Wait(remaining, closing.Token))
            {
                FailureReason ??= "no remote fingerprint was given before the handshake timed out";
                throw new TlsFatalAlert(AlertDescription.handshake_failure);
            }
        }
        catch (OperationCanceledException) { throw new TlsFatalAlert(AlertDescription.user_canceled); }
        Seq<Fingerprint> expected;
        lock (stateLock) expected = remoteFingerprints;
        if (!Fingerprint.MatchesAny(expected, der))
        {
            FailureReason ??= $"the peer's certificate ({Fingerprint.Sha256(der)}) matches no remote fingerprint";
            throw new TlsFatalAlert(AlertDescription.bad_certificate);
        }
        peerCertificate = der;
    }

    void IDtlsSession.HandshakeComplete(TlsContext context, DtlsSrtpProfile profile)
    {
        transport.Flush(); // the server's final flight (ChangeCipherSpec, Finished) goes out before the key work below
        if (peerCertificate is null)
        {
            FailureReason ??= "the handshake completed without the peer's certificate";
            throw new TlsFatalAlert(AlertDescription.handshake_failure);
        }
        // RFC 5764 section 4.2: export now; once Connect/Accept return BouncyCastle has cleared the master secret.
        var length = profile.KeyingMaterialLength();
        var material = length > 0 ? context.ExportKeyingMaterial(ExporterLabel.dtls_srtp, null, length) : [];
        var sp = context.SecurityParameters;
        // Same moment for our application-data keys (RFC 5246 section 6.3), AES-GCM suites only.
        if (Options.FastApplicationData) aeadKeys = ApplicationRecordLayer.DeriveKeys(context);
        Result = new DtlsHandshakeResult(profile, material, peerCertificate, Fingerprint.Sha256(peerCertificate), Role,
            sp.CipherSuite, sp.IsExtendedMasterSecret);
    }

    void IDtlsSession.AlertReceived(byte level, byte description)
    {
        if (description == AlertDescription.close_notify) peerClosed = true;
        else if (level == AlertLevel.fatal) FailureReason ??= $"peer sent fatal alert {AlertDescription.GetText(description)}";
    }

    void IDtlsSession.AlertRaised(byte level, byte description, string? message, Exception? cause)
    {
        if (level == AlertLevel.fatal && description != AlertDescription.user_canceled)
            FailureReason ??= $"raised fatal alert {AlertDescription.GetText(description)}{(message is null ? "" : ": " + message)}";
    }

    public override string ToString() => $"DtlsEndpoint({Role}, {State.ToW3C()}, thread {thread?.Name})";
}
