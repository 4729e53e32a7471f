package com.example.camerareceiver;

import dev.omnisock.ByteString;
import dev.omnisock.OmnisockClient;
import dev.omnisock.Request;
import dev.omnisock.Response;
import dev.omnisock.WebSocket;
import dev.omnisock.WebSocketListener;

import java.util.concurrent.Executor;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.json.JSONException;
import org.json.JSONObject;

/**
 * WebSocketClient は WebSocket 接続と通信を処理するクラス (the seed's OkHttp listener, moved
 * to omnisock: the imports, the client constructor and the start() lines changed).
 *
 * <p>What changed against the OkHttp version and why:
 * <ul>
 *   <li>{@code okhttp3.*} / {@code okio.ByteString} imports became {@code dev.omnisock.*}.</li>
 *   <li>{@code new OkHttpClient()} became an {@link OmnisockClient} whose callbacks run on the
 *       main thread (the executor MainActivity passes) and that reconnects: no Handler/post.</li>
 *   <li>{@code client.dispatcher().executorService().shutdown()} is gone (no such pool).</li>
 *   <li>{@code onClosing} no longer has to call {@code webSocket.close(1000, null)}:
 *       {@code onClosed} follows by itself.</li>
 *   <li>{@code android.util.Log} became java.util.logging (routed to logcat on Android), which
 *       keeps this class free of android.* so it is tested on the host.</li>
 * </ul>
 */
public class WebSocketClient extends WebSocketListener {
    private static final String TAG = "WebSocketClient";
    private static final Logger LOG = Logger.getLogger(TAG);

    // UI更新用のカスタムビューインスタンス
    private final PositionView customCircleView;
    private final String url;
    private final Executor mainExecutor;

    // WebSocket インスタンス
    private WebSocket webSocket;
    private volatile boolean open;

    /**
     * コンストラクタ
     * @param customCircleView カスタムされた円を表示するビュー
     * @param url 例: wss://yourhostname.example/ws/camera
     * @param mainExecutor メインスレッドで実行する Executor (コールバックはここで呼ばれる)
     */
    public WebSocketClient(PositionView customCircleView, String url, Executor mainExecutor) {
        this.customCircleView = customCircleView;
        this.url = url;
        this.mainExecutor = mainExecutor;
    }

    /**
     * WebSocket 接続を開始する
     */
    public void start() {
        OmnisockClient client = new OmnisockClient.Builder()
                .callbackExecutor(mainExecutor)
                .reconnect(1000)
                .build();
        Request request = new Request.Builder().url(url).build();
        webSocket = client.newWebSocket(request, this);
    }

    /**
     * WebSocket 接続を閉じる
     */
    public void close() {
        if (webSocket != null) {
            webSocket.close(1000, "activity destroyed");
        }
    }

    /** Whether the connection is open now. */
    public boolean isOpen() {
        return open;
    }

    /**
     * WebSocket 接続が開かれた時に呼ばれる
     */
    @Override
    public void onOpen(WebSocket webSocket, Response response) {
        open = true;
        LOG.fine("WebSocket 接続が開かれました");
    }

    /**
     * メッセージを受信した時に呼ばれる (メインスレッド)
     * @param webSocket WebSocket インスタンス
     * @param text 受信したテキストメッセージ
     */
    @Override
    public void onMessage(WebSocket webSocket, String text) {
        LOG.finer("メッセージを受信しました: " + text);
        // JSON をパースして内容を確認
        try {
            JSONObject json = new JSONObject(text);

            // x, y, z 位置を取得し画面に表示
            double x = json.getDouble("x");
            double y = json.getDouble("y");
            double z = json.getDouble("z");
            customCircleView.setCirclePosition(x, y, z);
        } catch (JSONException e) {
            LOG.warning("JSON パースエラー: " + e.getMessage());
        }
    }

    /**
     * バイナリメッセージを受信した時に呼ばれる
     */
    @Override
    public void onMessage(WebSocket webSocket, ByteString bytes) {
        LOG.fine("バイトメッセージを受信しました: " + bytes.hex());
    }

    /**
     * WebSocket 接続が閉じる時に呼ばれる (close() を呼ぶ必要はない)
     */
    @Override
    public void onClosing(WebSocket webSocket, int code, String reason) {
        open = false;
        LOG.fine("WebSocket 接続を閉じます: " + code + " / " + reason);
    }

    /**
     * 接続が切れ、再接続を待っている時に呼ばれる
     */
    @Override
    public void onReconnecting(WebSocket webSocket, int attempt, long delayMillis, String reason) {
        open = false;
        LOG.info("再接続します (" + attempt + " 回目, " + delayMillis + " ms 後): " + reason);
    }

    /**
     * WebSocket 接続失敗時に呼ばれる
     */
    @Override
    public void onFailure(WebSocket webSocket, Throwable t, Response response) {
        open = false;
        LOG.log(Level.SEVERE, "WebSocket 接続に失敗しました: " + t.getMessage());
    }
}
