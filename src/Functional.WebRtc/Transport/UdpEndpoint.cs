using System.Net;
using System.Net.Sockets;

namespace Functional.WebRtc.Transport;

/// <summary>Called for each datagram received; the span is valid only during the call.</summary>
internal delegate void DatagramHandler(UdpEndpoint socket, IPEndPoint from, ReadOnlySpan<byte> data);

/// <summary>
/// One UDP socket bound to one local address (a host candidate's base), with an async receive loop that holds no
/// thread while idle. Close disposes the socket and waits for the loop to end.
/// </summary>
internal sealed class UdpEndpoint : IDisposable
{
    private readonly Socket _socket;
    private readonly DatagramHandler _handler;
    private readonly Task _receiving;
    private readonly CancellationTokenSource _stop = new();

    public UdpEndpoint(IPAddress address, DatagramHandler handler)
    {
        _handler = handler;
        _socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.ReceiveBufferSize = 4 * 1024 * 1024;
        _socket.SendBufferSize = 4 * 1024 * 1024;
        _socket.Bind(new IPEndPoint(address, 0));
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _receiving = Task.Run(ReceiveLoopAsync);
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The largest UDP payload (IPv4: 65535 - 20 - 8).</summary>
    private const int MaxDatagram = 65507;
    /// <summary>A DTLS record with 2^14 bytes of plaintext and room to spare (header 13, explicit nonce 8, tag 16).</summary>
    private const int OneRecord = 17 * 1024;
    private long _truncated, _handlerFaults;
    private volatile Exception? _lastFault;

    /// <summary>Datagrams whose handler threw (each is dropped; the receive loop goes on), and the last exception.</summary>
    public long HandlerFaults => Interlocked.Read(ref _handlerFaults);
    public Exception? LastHandlerFault => _lastFault;

    /// <summary>Datagrams that filled (or overflowed) the receive buffer: the first one grows it.</summary>
    public long TruncatedDatagrams => Interlocked.Read(ref _truncated);

    public void Send(IPEndPoint to, ReadOnlySpan<byte> data)
    {
        try { _socket.SendTo(data, SocketFlags.None, AddressOf(to)); }
        catch (SocketException) { /* an unreachable peer is ICE's business (consent), not an exception */ }
        catch (ObjectDisposedException) { }
    }

    // The packet path sends to one or two peers: keep their serialized addresses so SendTo allocates nothing.
    private volatile Tuple<IPEndPoint, SocketAddress>? _lastTo;
    private SocketAddress AddressOf(IPEndPoint to)
    {
        var last = _lastTo;
        if (last is not null && last.Item1.Equals(to)) return last.Item2;
        var address = to.Serialize();
        _lastTo = Tuple.Create(to, address);
        return address;
    }

    private async Task ReceiveLoopAsync()
    {
        // WebRTC datagrams mostly stay under the path MTU (SCTP/DTLS/SRTP packets ~1200 bytes, STUN/TURN under 1500):
        // 4 KiB is enough and keeps idle pairs small (a 64 KiB buffer per socket was 128 KiB of every idle pair's heap).
        // A larger datagram (an SCTP PLPMTUD probe, then SCTP packets of the discovered size) is truncated and fails with
        // MessageSize: it is lost, and the buffer grows to the largest UDP datagram, so the next one gets through.
        var buffer = new byte[4096];
        var template = new IPEndPoint(LocalEndPoint.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        // Received into one reused SocketAddress; the IPEndPoint is made again only when the sender changes.
        var address = new SocketAddress(template.AddressFamily);
        SocketAddress? lastAddress = null;
        IPEndPoint? lastFrom = null;
        while (!_stop.IsCancellationRequested)
        {
            int received;
            try { received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, address, _stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
            catch (ObjectDisposedException) { break; }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.MessageSize)
            {
                Grow(ref buffer);
                continue;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset) { continue; }
            catch (SocketException) { break; }
            if (lastFrom is null || !address.Equals(lastAddress))
            {
                lastFrom = (IPEndPoint)template.Create(address);
                lastAddress = new SocketAddress(address.Family, address.Size);
                address.Buffer.CopyTo(lastAddress.Buffer);
            }
            try { _handler(this, lastFrom, buffer.AsSpan(0, received)); }
            catch (ObjectDisposedException) { break; }
            // A defect downstream must cost this datagram only, never the socket: a loop that ended here would leave the
            // connection deaf (no STUN, DTLS or media) while it still looks up.
            catch (Exception e) { Interlocked.Increment(ref _handlerFaults); _lastFault = e; }
            // A datagram that filled the buffer was probably cut short (on Linux the truncation is not reported as
            // MessageSize); it was handed on all the same (a cut DTLS record fails its checks and is dropped).
            if (received == buffer.Length) Grow(ref buffer);
        }
    }

    private void Grow(ref byte[] buffer)
    {
        Interlocked.Increment(ref _truncated);
        // First to one full DTLS record (2^14 bytes of plaintext and its header, nonce and tag: SCTP with a discovered
        // PMTU), then, only if even that fills up, to the largest UDP datagram.
        if (buffer.Length < MaxDatagram) buffer = new byte[buffer.Length < OneRecord ? OneRecord : MaxDatagram];
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        try { _receiving.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
