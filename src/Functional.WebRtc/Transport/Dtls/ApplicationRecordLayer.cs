using System.Reflection;
using Functional.WebRtc.Core.Dtls;
using Org.BouncyCastle.Crypto.Tls;

namespace Functional.WebRtc.Transport.Dtls;

/// <summary>
/// Our record layer for application data once an AES-GCM handshake is done: BouncyCastle keeps the handshake,
/// its retransmissions and the alerts; application_data records of the current epoch are sealed and opened here
/// with <see cref="DtlsRecordProtection"/> (AES-NI), without the managed cipher and without per-record allocation.
/// <para>
/// Sequence numbers. Records of one epoch must never repeat a sequence number (it is our GCM nonce). BouncyCastle
/// still writes in the same epoch after the handshake (a retransmitted Finished, close_notify), so both draw from one
/// counter: BouncyCastle's own for the epoch (DtlsEpoch.AllocateSequenceNumber, reached by reflection on the pinned
/// 1.8.10). If that is not reachable the fast path is not used.
/// </para>
/// Sending: one writer at a time (a lock). Receiving: one reader at a time (another lock); may run concurrently with sending.
/// </summary>
internal sealed class ApplicationRecordLayer : IDisposable
{
    private readonly DtlsRecordProtection writer;
    private readonly DtlsRecordProtection reader;
    private readonly Func<long> allocateSequence;
    private readonly QueueDatagramTransport transport;
    private readonly Lock writeLock = new();
    private readonly Lock readLock = new();
    private readonly byte[] writeBuffer = new byte[DtlsRecordProtection.RecordLength(DtlsRecordProtection.MaxPlaintextLength)];
    private byte[] readBuffer; // grows (once) for datagrams larger than the receive limit, e.g. SCTP with a discovered PMTU
    private bool writeClosed, readClosed;
    private long recordsSent, recordsOpened, recordsDropped;

    private ApplicationRecordLayer(DtlsRecordProtection writer, DtlsRecordProtection reader, Func<long> allocateSequence,
        QueueDatagramTransport transport, int receiveLimit)
    {
        this.writer = writer;
        this.reader = reader;
        this.allocateSequence = allocateSequence;
        this.transport = transport;
        readBuffer = new byte[Math.Max(receiveLimit, 2048)];
    }

    /// <summary>Records sealed, opened, and dropped (replayed, forged or malformed).</summary>
    public (long Sent, long Opened, long Dropped) Counters =>
        (Interlocked.Read(ref recordsSent), Interlocked.Read(ref recordsOpened), Interlocked.Read(ref recordsDropped));

    public ushort Epoch => writer.Epoch;

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

    /// <summary>Our record layer over a connected BouncyCastle transport, or null when the epoch's counter is unreachable.</summary>
    public static ApplicationRecordLayer? Create(DtlsTransport connected, DtlsAeadKeys keys, DtlsRole role, QueueDatagramTransport transport, int receiveLimit)
    {
        if (!TryGetSequenceAllocator(connected, out var allocate, out var epoch) || epoch is < 1 or > ushort.MaxValue) return null;
        var (write, read) = keys.For(role);
        return new ApplicationRecordLayer(new DtlsRecordProtection(write, (ushort)epoch), new DtlsRecordProtection(read, (ushort)epoch),
            allocate, transport, receiveLimit);
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
        lock (writeLock)
        {
            if (writeClosed || data.Length > DtlsRecordProtection.MaxPlaintextLength) return false;
            long sequence;
            try { sequence = allocateSequence(); }
            catch (TlsFatalAlert) { return false; } // 2^48 records: the epoch is exhausted
            var n = writer.Seal(DtlsContentType.ApplicationData, (ulong)sequence, data, writeBuffer);
            if (n < 0) return false;
            transport.SendApplicationData(writeBuffer.AsSpan(0, n));
            recordsSent++;
            return true;
        }
    }

    /// <summary>
    /// Opens the application_data records of our epoch in <paramref name="datagram"/> and hands each plaintext to
    /// <paramref name="deliver"/> (on this thread, in order). Records of other types or epochs (handshake
    /// retransmissions, alerts) come back in <paramref name="others"/> as one datagram for BouncyCastle.
    /// Replayed, forged or malformed records are dropped (RFC 6347 section 4.1.2.7). False once disposed.
    /// </summary>
    public bool Receive(ReadOnlySpan<byte> datagram, DtlsDataHandler? deliver, out byte[]? others)
    {
        others = null;
        lock (readLock)
        {
            if (readClosed) return false;
            if (datagram.Length > readBuffer.Length) readBuffer = new byte[Math.Max(datagram.Length, DtlsRecordProtection.RecordLength(DtlsRecordProtection.MaxPlaintextLength))];
            var buffer = readBuffer;
            datagram.CopyTo(buffer);
            var offset = 0;
            var opened = false;
            List<(int Offset, int Length)>? rest = null;
            while (offset < datagram.Length)
            {
                if (!DtlsRecord.TryReadHeader(buffer.AsSpan(offset, datagram.Length - offset), out var h))
                {
                    recordsDropped++; // a malformed tail: the rest of the datagram is discarded
                    break;
                }
                var length = DtlsRecord.HeaderLength + h.Length;
                var record = buffer.AsSpan(offset, length);
                switch (reader.Open(record, DtlsContentType.ApplicationData, out var at, out var n))
                {
                    case DtlsOpenStatus.Opened:
                        opened = true;
                        recordsOpened++;
                        deliver?.Invoke(record.Slice(at, n));
                        if (readClosed) return true; // the handler closed the endpoint
                        break;
                    case DtlsOpenStatus.NotOurs:
                        (rest ??= []).Add((offset, length));
                        break;
                    default:
                        recordsDropped++;
                        break;
                }
                offset += length;
            }
            if (opened) transport.ApplicationTrafficReceived();
            if (rest is not null)
            {
                // Untouched (Open changes nothing unless it opens), so the bytes are still as received.
                others = new byte[rest.Sum(r => r.Length)];
                var o = 0;
                foreach (var (start, length) in rest) { buffer.AsSpan(start, length).CopyTo(others.AsSpan(o)); o += length; }
            }
            return true;
        }
    }

    public void Dispose()
    {
        // One lock at a time: a DataReceived handler runs under the read lock and may Send (write lock).
        lock (writeLock)
        {
            if (!writeClosed) { writeClosed = true; writer.Dispose(); }
        }
        lock (readLock)
        {
            if (!readClosed) { readClosed = true; reader.Dispose(); }
        }
    }
}
