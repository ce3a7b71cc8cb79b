using System.Net;
using System.Net.Sockets;

namespace ShardKit.Testing.Internal;

/// <summary>Hands out loopback TCP ports that were free a moment ago (servers retry with another port on a clash).</summary>
internal static class PortAllocator
{
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
