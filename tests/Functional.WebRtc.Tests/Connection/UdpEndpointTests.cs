using System.Net;
using System.Net.Sockets;
using Functional.WebRtc.Transport;

namespace Functional.WebRtc.Tests.Connection;

/// <summary>The socket's receive loop survives a handler that throws: that datagram is lost, the next ones arrive.</summary>
public class UdpEndpointTests
{
    [Fact(Timeout = 10_000)]
    public async Task AHandlerThatThrowsCostsOneDatagramNotTheSocket()
    {
        var received = new List<byte>();
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var endpoint = new UdpEndpoint(IPAddress.Loopback, (_, _, data) =>
        {
            if (data[0] == 1) throw new InvalidOperationException("a defect downstream");
            lock (received) received.Add(data[0]);
            second.TrySetResult();
        });
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        client.SendTo(new byte[] { 1 }, endpoint.LocalEndPoint);
        for (var i = 0; i < 200 && endpoint.HandlerFaults == 0; i++) await Task.Delay(10);
        client.SendTo(new byte[] { 2 }, endpoint.LocalEndPoint);
        await second.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, endpoint.HandlerFaults);
        Assert.IsType<InvalidOperationException>(endpoint.LastHandlerFault);
        lock (received) Assert.Equal(new byte[] { 2 }, received);
    }
}
