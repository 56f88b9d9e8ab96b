using System.Reflection;
using Functional.WebRtc.Core.Dtls;
using Org.BouncyCastle.Crypto.Tls;

namespace Functional.WebRtc.Transport.Dtls;

/// <summary>What one received datagram asked of the endpoint besides its application data.</summary>
/// <param name="PeerRetransmitted">It held a record of the peer's retransmitted last flight (RFC 6347 section 4.2.4).</param>
/// <param name="Alert">The first protected alert that ends the association (close_notify or fatal), if any; records after it were not read.</param>
internal readonly record struct ReceivedControl(bool PeerRetransmitted, DtlsAlert? Alert);

/// <summary>
/// Our record layer once an AES-GCM handshake is done: BouncyCastle runs the handshake only; from then on every
/// record of the association is sealed and opened here with <see cref="DtlsRecordProtection"/> (AES-NI), on the
/// caller's thread, without the managed cipher and without per-record allocation:
/// <list type="bullet">
/// <item>application_data both ways;</item>
/// <item>alerts of the current epoch (close_notify, fatal alerts), which <see cref="Receive"/> reports and
/// <see cref="SendAlert"/> / <see cref="SendCloseNotify"/> send;</item>
/// <item>the peer's retransmitted last flight, which <see cref="Receive"/> reports (the endpoint resends ours).</item>
/// </list>
/// <para>
/// Sequence numbers. Records of one epoch must never repeat a sequence number (it is our GCM nonce). BouncyCastle
/// wrote the epoch's first records (our Finished); <see cref="Create"/> takes the next number from its counter once
/// (DtlsEpoch.AllocateSequenceNumber, reached by reflection on the pinned 1.8.10) and from then on this layer is
/// the epoch's only writer and counts on itself. If that counter is not reachable the fast path is not used.
/// </para>
/// Sending: one writer at a time (a lock). Receiving: one reader at a time (another lock); may run concurrently with sending.
/// </summary>
internal sealed class ApplicationRecordLayer : IDisposable
{
    private const int AlertLength = 2;

    private readonly DtlsRecordProtection writer;
    private readonly DtlsRecordProtection reader;
    private readonly QueueDatagramTransport transport;
    private readonly Lock writeLock = new();
    private readonly Lock readLock = new();
    private byte[] writeBuffer;           // one record; sized for SendLimit, grown on demand up to 2^14 octets (guarded by writeLock)
    private byte[] readBuffer;            // grows (once) for datagrams larger than the receive limit, e.g. SCTP with a discovered PMTU
    private ulong nextSequence;           // guarded by writeLock
    private bool writeClosed, readClosed;
    private bool peerEnded;               // an alert ended the association: read nothing more (guarded by readLock)
    private long recordsSent, recordsOpened, recordsDropped;

    private ApplicationRecordLayer(DtlsRecordProtection writer, DtlsRecordProtection reader, ulong firstSequence,
        QueueDatagramTransport transport, int receiveLimit, int sendLimit)
    {
        this.writer = writer;
        this.reader = reader;
        nextSequence = firstSequence;
        this.transport = transport;
        readBuffer = new byte[Math.Max(receiveLimit, 2048)];
        SendLimit = sendLimit;
        // Not 16 KiB per association up front (idle memory): a record of the send limit is the common case.
        writeBuffer = new byte[DtlsRecordProtection.RecordLength(Math.Clamp(sendLimit, 0, DtlsRecordProtection.MaxPlaintextLength))];
    }

    /// <summary>Application-data records sealed, opened, and records dropped (replayed, forged, malformed or unexpected).</summary>
    public (long Sent, long Opened, long Dropped) Counters =>
        (Interlocked.Read(ref recordsSent), Interlocked.Read(ref recordsOpened), Interlocked.Read(ref recordsDropped));

    public ushort Epoch => writer.Epoch;

    /// <summary>The largest application-data payload that fits one datagram (what BouncyCastle computed for the epoch).</summary>
    public int SendLimit { get; }

    /// <summary>
    /// The AES-GCM key block (RFC 5246 section 6.3) for the negotiated suite, or null for any other suite.
    /// Call inside NotifyHandshakeComplete, while BouncyCastle still holds the master secret.
    /// </summary>
    public static DtlsAeadKeys? DeriveKeys(TlsContext context)
    {
        var sp = context.SecurityParameters;
        var keyLength = DtlsAeadSuites.KeyLength(sp.CipherSuite);
        if (keyLength == 0 || sp.MasterSecret is null) return null;
        // key_block = PRF(master_secret, "key expansion", server_random + client_random), with the suite's PRF hash.
        var seed = new byte[sp.ServerRandom.Length + sp.ClientRandom.Length];
        sp.ServerRandom.CopyTo(seed, 0);
        sp.ClientRandom.CopyTo(seed, sp.ServerRandom.Length);
        var block = TlsUtilities.PRF(context, sp.MasterSecret, "key expansion", seed, DtlsAeadSuites.KeyBlockLength(keyLength));
        try { return DtlsAeadKeys.TrySplit(block, keyLength, out var keys) ? keys : null; }
        finally { Array.Clear(block); }
    }

    /// <summary>
    /// Our record layer taking over from a connected BouncyCastle transport, or null when the epoch's counter is
    /// unreachable. BouncyCastle must write nothing more in the epoch afterwards (its thread ends; we send close_notify).
    /// </summary>
    public static ApplicationRecordLayer? Create(DtlsTransport connected, DtlsAeadKeys keys, DtlsRole role, QueueDatagramTransport transport, int receiveLimit)
    {
        if (!TryGetSequenceAllocator(connected, out var allocate, out var epoch) || epoch is < 1 or > ushort.MaxValue) return null;
        long first;
        try { first = allocate(); }
        catch (TlsFatalAlert) { return null; } // the epoch is exhausted (cannot happen right after a handshake)
        var (write, read) = keys.For(role);
        return new ApplicationRecordLayer(new DtlsRecordProtection(write, (ushort)epoch), new DtlsRecordProtection(read, (ushort)epoch),
            (ulong)first, transport, receiveLimit, connected.GetSendLimit());
    }

    private static readonly FieldInfo? RecordLayerField = typeof(DtlsTransport).GetField("mRecordLayer", BindingFlags.Instance | BindingFlags.NonPublic);

    /// <summary>BouncyCastle's write counter of the current epoch: DtlsTransport.mRecordLayer.mCurrentEpoch.AllocateSequenceNumber.</summary>
    internal static bool TryGetSequenceAllocator(DtlsTransport connected, out Func<long> allocate, out int epoch)
    {
        allocate = null!;
        epoch = 0;
        try
        {
            var recordLayer = RecordLayerField?.GetValue(connected);
            var current = recordLayer?.GetType().GetField("mCurrentEpoch", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(recordLayer);
            if (current is null) return false;
            var type = current.GetType();
            var method = type.GetMethod("AllocateSequenceNumber", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public, Type.EmptyTypes);
            var epochProperty = type.GetProperty("Epoch", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);
            if (method is null || method.ReturnType != typeof(long) || epochProperty?.GetValue(current) is not int e) return false;
            allocate = method.CreateDelegate<Func<long>>(current);
            epoch = e;
            return true;
        }
        catch (Exception e) when (e is TargetException or ArgumentException or MemberAccessException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Seals <paramref name="data"/> in one application_data record and sends it. False when closed or too large.</summary>
    public bool Send(ReadOnlySpan<byte> data)
    {
        lock (writeLock) return SealAndSend(DtlsContentType.ApplicationData, data);
    }

    /// <summary>Sends an alert in the current epoch (RFC 5246 section 7.2). False when writing is closed.</summary>
    public bool SendAlert(DtlsAlert alert)
    {
        Span<byte> body = stackalloc byte[AlertLength];
        alert.Write(body);
        lock (writeLock) return SealAndSend(DtlsContentType.Alert, body);
    }

    /// <summary>
    /// Sends close_notify and closes writing: nothing may follow it (RFC 5246 section 7.2.1). Safe from any thread,
    /// once; false when writing was already closed.
    /// </summary>
    public bool SendCloseNotify()
    {
        Span<byte> body = stackalloc byte[AlertLength];
        DtlsAlert.Close.Write(body);
        lock (writeLock)
        {
            var sent = SealAndSend(DtlsContentType.Alert, body);
            CloseWriting();
            return sent;
        }
    }

    /// <summary>Call under writeLock.</summary>
    private bool SealAndSend(byte contentType, ReadOnlySpan<byte> plaintext)
    {
        if (writeClosed || plaintext.Length > DtlsRecordProtection.MaxPlaintextLength || nextSequence > DtlsRecord.MaxSequenceNumber) return false;
        var needed = DtlsRecordProtection.RecordLength(plaintext.Length);
        if (writeBuffer.Length < needed) writeBuffer = new byte[needed];
        var n = writer.Seal(contentType, nextSequence, plaintext, writeBuffer);
        if (n < 0) return false;
        nextSequence++;
        transport.SendApplicationData(writeBuffer.AsSpan(0, n));
        if (contentType == DtlsContentType.ApplicationData) recordsSent++;
        return true;
    }

    /// <summary>
    /// Reads every record of <paramref name="datagram"/> (RFC 6347 section 4.1: a datagram may carry several):
    /// application data is opened and handed to <paramref name="deliver"/> (on this thread, in order); a protected
    /// alert that ends the association is reported and stops the reading (nothing after it counts); the peer's
    /// retransmitted flight is reported. Replayed, forged, malformed or unexpected records are dropped
    /// (RFC 6347 section 4.1.2.7). Nothing is reported once disposed.
    /// </summary>
    public ReceivedControl Receive(ReadOnlySpan<byte> datagram, DtlsDataHandler? deliver)
    {
        lock (readLock)
        {
            if (readClosed || peerEnded) return default;
            if (datagram.Length > readBuffer.Length) readBuffer = new byte[Math.Max(datagram.Length, DtlsRecordProtection.RecordLength(DtlsRecordProtection.MaxPlaintextLength))];
            var buffer = readBuffer;
            datagram.CopyTo(buffer);
            var offset = 0;
            var opened = false;
            var retransmitted = false;
            DtlsAlert? ending = null;
            while (offset < datagram.Length && ending is null)
            {
                if (!DtlsRecord.TryReadHeader(buffer.AsSpan(offset, datagram.Length - offset), out var h))
                {
                    recordsDropped++; // a malformed tail: the rest of the datagram is discarded
                    break;
                }
                var length = DtlsRecord.HeaderLength + h.Length;
                var record = buffer.AsSpan(offset, length);
                offset += length;
                switch (DtlsPostHandshake.Classify(h, reader.Epoch))
                {
                    case DtlsPostHandshakeRecord.ApplicationData:
                        if (reader.Open(record, DtlsContentType.ApplicationData, out var at, out var n) != DtlsOpenStatus.Opened) { recordsDropped++; break; }
                        opened = true;
                        recordsOpened++;
                        deliver?.Invoke(record.Slice(at, n));
                        if (readClosed) return new ReceivedControl(retransmitted, null); // the handler closed the endpoint
                        break;
                    case DtlsPostHandshakeRecord.Alert:
                        if (reader.Open(record, DtlsContentType.Alert, out at, out n) != DtlsOpenStatus.Opened
                            || !DtlsAlert.TryRead(record.Slice(at, n), out var alert)) { recordsDropped++; break; }
                        opened = true;
                        // Warning alerts other than close_notify change nothing (RFC 5246 section 7.2).
                        if (alert.EndsAssociation) { ending = alert; peerEnded = true; }
                        break;
                    case DtlsPostHandshakeRecord.PeerRetransmission:
                        retransmitted = true;
                        break;
                    default:
                        recordsDropped++;
                        break;
                }
            }
            if (opened) transport.ApplicationTrafficReceived();
            return new ReceivedControl(retransmitted, ending);
        }
    }

    /// <summary>Call under writeLock.</summary>
    private void CloseWriting()
    {
        if (!writeClosed) { writeClosed = true; writer.Dispose(); }
    }

    public void Dispose()
    {
        // One lock at a time: a DataReceived handler runs under the read lock and may Send (write lock).
        lock (writeLock) CloseWriting();
        lock (readLock)
        {
            if (!readClosed) { readClosed = true; reader.Dispose(); }
        }
    }
}
