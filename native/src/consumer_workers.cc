// BatchConsumer's libuv workers (consume a batch, committed offsets, watermarks, close) and
// the methods that queue them. Each worker keeps the consumer alive while it uses rk_; close
// refuses while one is in flight (inflight_).
#include <cstdlib>
#include <cstring>

#include "batch_consumer.h"
#include "common.h"

namespace tsn {

namespace {

// A consumed batch, built on the worker thread, turned into JS values on the JS thread.
struct Batch {
  size_t count = 0;
  uint8_t* data = nullptr;  // keys and values back to back; owned until handed to a Buffer
  size_t size = 0;
  std::vector<int32_t> partition, keyStart, keyLen, valueStart, valueLen;
  std::vector<double> offset, timestamp;
  ~Batch() { free(data); }
};

template <typename T, typename A>
A CopyArray(Napi::Env env, const std::vector<T>& v) {
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, v.size() * sizeof(T));
  if (!v.empty()) memcpy(ab.Data(), v.data(), v.size() * sizeof(T));
  return A::New(env, v.size(), ab, 0);
}

}  // namespace

class ConsumerWorker : public PromiseWorker {
 public:
  explicit ConsumerWorker(BatchConsumer* c) : PromiseWorker(c->Env()), c_(c), ref_(Napi::Persistent(c->Value())) { c_->inflight_++; }
  ~ConsumerWorker() override { c_->inflight_--; }
 protected:
  BatchConsumer* c_;
  Napi::ObjectReference ref_;  // keeps the consumer alive while the worker uses rk_
};

class ConsumeWorker : public ConsumerWorker {
 public:
  ConsumeWorker(BatchConsumer* c, int max, int timeoutMs) : ConsumerWorker(c), max_(max), timeoutMs_(timeoutMs) { c->consuming_ = true; }
  ~ConsumeWorker() override { c_->consuming_ = false; }
  void Execute() override {
    std::vector<rd_kafka_message_t*> msgs(max_);
    ssize_t n = rd_kafka_consume_batch_queue(c_->queue_, timeoutMs_, msgs.data(), max_);
    if (n < 0) return Fail(FromErr(rd_kafka_last_error()));
    size_t total = 0;
    for (ssize_t i = 0; i < n; i++) {
      if (!msgs[i]->err) total += msgs[i]->key_len + msgs[i]->len;
    }
    b_.data = static_cast<uint8_t*>(malloc(total > 0 ? total : 1));
    size_t pos = 0;
    for (ssize_t i = 0; i < n; i++) {
      rd_kafka_message_t* m = msgs[i];
      if (m->err) {
        // Consumer errors (topic authorization, unknown partition, ...) go where error_cb's go.
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) c_->errors.Push(FromErr(m->err, rd_kafka_message_errstr(m)));
        rd_kafka_message_destroy(m);
        continue;
      }
      b_.partition.push_back(m->partition);
      b_.offset.push_back(static_cast<double>(m->offset));
      rd_kafka_timestamp_type_t tstype;
      b_.timestamp.push_back(static_cast<double>(rd_kafka_message_timestamp(m, &tstype)));
      b_.keyStart.push_back(static_cast<int32_t>(pos));
      if (m->key) {
        memcpy(b_.data + pos, m->key, m->key_len);
        pos += m->key_len;
        b_.keyLen.push_back(static_cast<int32_t>(m->key_len));
      } else {
        b_.keyLen.push_back(-1);
      }
      b_.valueStart.push_back(static_cast<int32_t>(pos));
      if (m->payload) {
        memcpy(b_.data + pos, m->payload, m->len);
        pos += m->len;
        b_.valueLen.push_back(static_cast<int32_t>(m->len));
      } else {
        b_.valueLen.push_back(-1);
      }
      rd_kafka_message_destroy(m);
    }
    b_.count = b_.partition.size();
    b_.size = pos;
  }
  void OnOK() override {
    if (RejectIfFailed()) return;
    Napi::Env env = Env();
    Napi::Object out = Napi::Object::New(env);
    out.Set("count", static_cast<double>(b_.count));
    uint8_t* data = b_.data;
    b_.data = nullptr;
    out.Set("data", Napi::Buffer<uint8_t>::New(env, data, b_.size, [](Napi::Env, uint8_t* p) { free(p); }));
    out.Set("partition", CopyArray<int32_t, Napi::Int32Array>(env, b_.partition));
    out.Set("offset", CopyArray<double, Napi::Float64Array>(env, b_.offset));
    out.Set("timestamp", CopyArray<double, Napi::Float64Array>(env, b_.timestamp));
    out.Set("keyStart", CopyArray<int32_t, Napi::Int32Array>(env, b_.keyStart));
    out.Set("keyLen", CopyArray<int32_t, Napi::Int32Array>(env, b_.keyLen));
    out.Set("valueStart", CopyArray<int32_t, Napi::Int32Array>(env, b_.valueStart));
    out.Set("valueLen", CopyArray<int32_t, Napi::Int32Array>(env, b_.valueLen));
    std::vector<RebalanceEvent> events = c_->TakeEvents();
    Napi::Array evs = Napi::Array::New(env, events.size());
    for (size_t i = 0; i < events.size(); i++) {
      Napi::Object e = Napi::Object::New(env);
      e.Set("kind", events[i].kind);
      e.Set("partitions", ToJsPartitions(env, events[i].partitions));
      if (events[i].kind == "error") e.Set("error", ToJsErrorObject(env, events[i].error));
      evs.Set(i, e);
    }
    out.Set("events", evs);
    c_->SettleCommits(false);
    deferred_.Resolve(out);
  }
 private:
  int max_, timeoutMs_;
  Batch b_;
};

// commit (sync within the worker), committed and watermark queries.
class PartitionsWorker : public ConsumerWorker {
 public:
  enum Op { COMMITTED };
  PartitionsWorker(BatchConsumer* c, Op op, std::vector<TopicPartition> parts, int timeoutMs)
      : ConsumerWorker(c), op_(op), parts_(std::move(parts)), timeoutMs_(timeoutMs) {}
  void Execute() override {
    rd_kafka_topic_partition_list_t* list = ToList(parts_);
    rd_kafka_resp_err_t err = rd_kafka_committed(c_->rk_, list, timeoutMs_);
    parts_ = FromList(list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err) Fail(FromErr(err));
  }
  void OnOK() override {
    if (!RejectIfFailed()) deferred_.Resolve(ToJsPartitions(Env(), parts_));
  }
 private:
  Op op_;
  std::vector<TopicPartition> parts_;
  int timeoutMs_;
};

class WatermarkWorker : public ConsumerWorker {
 public:
  WatermarkWorker(BatchConsumer* c, std::string topic, int32_t partition, int timeoutMs)
      : ConsumerWorker(c), topic_(std::move(topic)), partition_(partition), timeoutMs_(timeoutMs) {}
  void Execute() override {
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(c_->rk_, topic_.c_str(), partition_, &low_, &high_, timeoutMs_);
    if (err) Fail(FromErr(err));
  }
  void OnOK() override {
    if (RejectIfFailed()) return;
    Napi::Object o = Napi::Object::New(Env());
    o.Set("low", static_cast<double>(low_));
    o.Set("high", static_cast<double>(high_));
    deferred_.Resolve(o);
  }
 private:
  std::string topic_;
  int32_t partition_;
  int timeoutMs_;
  int64_t low_ = -1, high_ = -1;
};

class CloseWorker : public ConsumerWorker {
 public:
  explicit CloseWorker(BatchConsumer* c) : ConsumerWorker(c) {}
  void OnError(const Napi::Error& e) override {
    c_->SettleCommits(true);
    PromiseWorker::OnError(e);
  }
  void Execute() override {
    // Leaves the group: the revoke is answered by OnRebalance (closing_ is set).
    rd_kafka_resp_err_t err = rd_kafka_consumer_close(c_->rk_);
    rd_kafka_queue_destroy(c_->queue_);
    rd_kafka_destroy(c_->rk_);
    c_->queue_ = nullptr;
    c_->rk_ = nullptr;
    if (err) Fail(FromErr(err));
  }
  void OnOK() override {
    c_->SettleCommits(true);
    if (!RejectIfFailed()) deferred_.Resolve(Env().Undefined());
  }
};

static bool IntArg(const Napi::CallbackInfo& info, size_t i, const char* what, int lo, int hi, int& out) {
  Napi::Value v = info[i];
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1e300;
  if (!(d >= lo && d <= hi) || static_cast<double>(static_cast<int>(d)) != d) {
    Napi::TypeError::New(info.Env(), std::string(what) + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi))
        .ThrowAsJavaScriptException();
    return false;
  }
  out = static_cast<int>(d);
  return true;
}

Napi::Value BatchConsumer::ConsumeBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env)) return env.Undefined();
  int max = 0, timeoutMs = 0;
  if (!IntArg(info, 0, "consumeBatch: max", 1, 1000000, max) || !IntArg(info, 1, "consumeBatch: timeoutMs", 0, 3600000, timeoutMs)) return env.Undefined();
  if (consuming_) {
    Napi::Error::New(env, "consumeBatch: a batch is already being consumed; await it first").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto* w = new ConsumeWorker(this, max, timeoutMs);
  w->Queue();
  return w->Promise();
}

Napi::Value BatchConsumer::Committed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env)) return env.Undefined();
  std::vector<TopicPartition> parts;
  int timeoutMs = 0;
  if (!ReadPartitions(info[0], topic_, false, parts) || !IntArg(info, 1, "committed: timeoutMs", 0, 3600000, timeoutMs)) return env.Undefined();
  auto* w = new PartitionsWorker(this, PartitionsWorker::COMMITTED, std::move(parts), timeoutMs);
  w->Queue();
  return w->Promise();
}

Napi::Value BatchConsumer::QueryWatermarkOffsets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env)) return env.Undefined();
  if (!info[0].IsString()) {
    Napi::TypeError::New(env, "queryWatermarkOffsets: topic must be a string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int partition = 0, timeoutMs = 0;
  if (!IntArg(info, 1, "queryWatermarkOffsets: partition", 0, INT32_MAX, partition) ||
      !IntArg(info, 2, "queryWatermarkOffsets: timeoutMs", 0, 3600000, timeoutMs))
    return env.Undefined();
  auto* w = new WatermarkWorker(this, info[0].As<Napi::String>(), partition, timeoutMs);
  w->Queue();
  return w->Promise();
}

Napi::Value BatchConsumer::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env)) return env.Undefined();
  if (inflight_ > 0) {
    Napi::Error::New(env, "close: consumeBatch, commit or a query is still in progress; await it first").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  closing_ = true;
  auto* w = new CloseWorker(this);
  w->Queue();
  return w->Promise();
}

}  // namespace tsn
