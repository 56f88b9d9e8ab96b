using System.Net;
using System.Net.Sockets;
using System.Text;
using Functional.WebRtc;

namespace Examples.Shared;

/// <summary>The example's tiny web server on 127.0.0.1 (HttpListener): the page, the offer/answer exchange, the page's log.</summary>
internal static class HttpPage
{
    /// <summary>Starts listening on 127.0.0.1:<paramref name="port"/>; port 0 takes a free one (a few tries, as it may be taken between).</summary>
    public static (HttpListener Listener, Uri Url) Listen(int port)
    {
        for (var attempt = 0; ; attempt++)
        {
            var p = port;
            if (p == 0)
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                p = ((IPEndPoint)probe.LocalEndPoint!).Port;
            }
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{p}/");
            try
            {
                listener.Start();
                return (listener, new Uri($"http://127.0.0.1:{p}/"));
            }
            catch (HttpListenerException) when (port == 0 && attempt < 10) { listener.Close(); }
        }
    }

    /// <summary>
    /// Serves requests until <paramref name="cancel"/> fires: <paramref name="handle"/> answers a path (false: 404); POST /log
    /// prints what the page logs. Each request runs on its own task, so a slow answer does not hold the others.
    /// </summary>
    public static async Task ServeAsync(HttpListener listener, TextWriter log, Func<HttpListenerContext, string, Task<bool>> handle, CancellationToken cancel)
    {
        var running = new List<Task>();
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                var context = await listener.GetContextAsync().WaitAsync(cancel);
                running.RemoveAll(t => t.IsCompleted);
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        var path = context.Request.Url?.AbsolutePath ?? "/";
                        if (path == "/log" && context.Request.HttpMethod == "POST")
                        {
                            log.WriteLine($"page: {await new StreamReader(context.Request.InputStream, Encoding.UTF8).ReadToEndAsync(cancel)}");
                            await ReplyAsync(context, "text/plain", "ok");
                        }
                        else if (!await handle(context, path))
                        {
                            context.Response.StatusCode = 404;
                            context.Response.Close();
                        }
                    }
                    catch (Exception e)
                    {
                        log.WriteLine($"error: {e.Message}");
                        try { context.Response.StatusCode = 500; context.Response.Close(); } catch (Exception) { }
                    }
                }, CancellationToken.None));
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested) { }
        await Task.WhenAny(Task.WhenAll(running), Task.Delay(TimeSpan.FromSeconds(15)));
    }

    public static async Task ReplyAsync(HttpListenerContext context, string type, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.ContentType = type;
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    public static async Task<SessionDescription> ReadOfferAsync(HttpListenerContext context)
    {
        var json = await new StreamReader(context.Request.InputStream, Encoding.UTF8).ReadToEndAsync();
        return SessionDescription.FromJson(json).IfLeft(e => throw RtcException.From(e));
    }

    /// <summary>Keeps only the browser's candidates on 127.0.0.1: this example never reaches beyond the machine.</summary>
    public static SessionDescription LoopbackOnly(SessionDescription offer) => SessionDescription.Offer(string.Join("\r\n",
        offer.Sdp.Split("\r\n").Where(l => !l.StartsWith("a=candidate", StringComparison.Ordinal) || l.Contains(" 127.0.0.1 ", StringComparison.Ordinal))));
}
