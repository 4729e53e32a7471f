package com.example.camerareceiver;

import android.os.Bundle;

import androidx.appcompat.app.AppCompatActivity;
import androidx.core.content.ContextCompat;

/**
 * MainActivity は WebSocket 通信を使ってサーバーとリアルタイム通信を行う
 */
public class MainActivity extends AppCompatActivity {

    private WebSocketClient webSocketClient;
    private CustomCircleView customCircleView;

    @Override
    protected void onCreate(Bundle savedInstanceState) {
        super.onCreate(savedInstanceState);
        setContentView(R.layout.activity_main);

        customCircleView = findViewById(R.id.customCircleView);

        // WebSocketClient インスタンスを生成 (コールバックはメインスレッドで実行)
        webSocketClient = new WebSocketClient(customCircleView, BuildConfig.CAMERA_URL,
                ContextCompat.getMainExecutor(this));

        // WebSocket 通信の開始
        webSocketClient.start();
    }

    @Override
    protected void onDestroy() {
        super.onDestroy();
        // WebSocket 接続を閉じる
        webSocketClient.close();
    }
}
