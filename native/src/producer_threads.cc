// BatchProducer's own threads and the way out of them: the sender that hands batches to
// librdkafka in call order (waiting on a full queue inside the batch), the delivery-report
// callback the poller serves, the batch's completion on the JS thread, and Shutdown.
#include <chrono>
#include <thread>

#include "batch_producer.h"
#include "common.h"

namespace tsn {

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* slot = static_cast<Slot*>(m->_private);
  Batch* b = slot->batch;
  auto index = static_cast<int32_t>(slot - b->slots.get());
  if (m->err) {
    std::lock_guard<std::mutex> lock(b->mu);
    b->failures.push_back({index, m->err});
  } else if (m->offset < 0) {
    std::lock_guard<std::mutex> lock(b->mu);
    b->unconfirmed.push_back(index);
  } else {
    b->delivered++;
  }
  static_cast<BatchProducer*>(static_cast<ClientBase*>(opaque))->Settle(b);
}

void BatchProducer::Finish(Napi::Env env, Napi::Function, Batch* b) {
  std::unique_ptr<Batch> owned(b);
  if (!env) return;  // the environment is going away
  Napi::Object out = Napi::Object::New(env);
  out.Set("delivered", static_cast<double>(b->delivered.load()));
  Napi::Array failures = Napi::Array::New(env, b->failures.size());
  for (size_t i = 0; i < b->failures.size(); i++) {
    Napi::Object f = ToJsErrorObject(env, FromErr(b->failures[i].code));
    f.Set("index", b->failures[i].index);
    failures.Set(i, f);
  }
  out.Set("failed", failures);
  Napi::Array unconfirmed = Napi::Array::New(env, b->unconfirmed.size());
  for (size_t i = 0; i < b->unconfirmed.size(); i++) unconfirmed.Set(i, b->unconfirmed[i]);
  out.Set("unconfirmed", unconfirmed);
  // The producer object: the first reference kept (see ProduceBatch).
  auto* self = BatchProducer::Unwrap(b->keep[0].Value().As<Napi::Object>());
  if (--self->pending_ == 0 && !self->closed_) self->tsfn_.Unref(env);
  b->deferred.Resolve(out);
}

void BatchProducer::SendLoop() {
  std::map<std::string, rd_kafka_topic_t*> topics;
  for (;;) {
    Batch* b;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopSender_ || !jobs_.empty(); });
      if (jobs_.empty()) break;
      b = jobs_.front();
      jobs_.pop_front();
      sending_ = true;
    }
    Send(b, topics);
    {
      std::lock_guard<std::mutex> lock(mu_);
      sending_ = false;
    }
    cv_.notify_all();
  }
  for (auto& t : topics) rd_kafka_topic_destroy(t.second);
}

void BatchProducer::Send(Batch* b, std::map<std::string, rd_kafka_topic_t*>& topics) {
  rd_kafka_topic_t*& rkt = topics[b->topic];
  if (!rkt) rkt = rd_kafka_topic_new(rk_, b->topic.c_str(), nullptr);
  for (size_t i = 0; i < b->count; i++) {
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (!rkt) err = rd_kafka_last_error();
    const uint8_t* key = b->keyLen[i] < 0 ? nullptr : b->data + b->keyStart[i];
    const uint8_t* value = b->valueLen[i] < 0 ? nullptr : b->data + b->valueStart[i];
    int32_t partition = b->partitions ? b->partitions[i] : b->partition;
    while (!err) {
      if (stopSender_) {
        err = RD_KAFKA_RESP_ERR__PURGE_QUEUE;  // closing: never handed to librdkafka
        break;
      }
      if (rd_kafka_produce(rkt, partition, RD_KAFKA_MSG_F_COPY, const_cast<uint8_t*>(value), value ? b->valueLen[i] : 0, key,
                           key ? b->keyLen[i] : 0, &b->slots[i]) == 0)
        break;
      err = rd_kafka_last_error();
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
      // Backpressure: librdkafka's queue is full; the poller frees space as reports arrive.
      err = RD_KAFKA_RESP_ERR_NO_ERROR;
      queueFullWaits_++;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (err) {
      {
        std::lock_guard<std::mutex> lock(b->mu);
        b->failures.push_back({static_cast<int32_t>(i), err});
      }
      Settle(b);
    }
  }
  Settle(b);  // the sender's own share: the batch can finish once all reports are in
}

void BatchProducer::Shutdown() {
  if (!rk_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopSender_ = true;
  }
  cv_.notify_all();
  if (sender_.joinable()) sender_.join();
  // Batches queued but never started: fail every message.
  for (Batch* b : jobs_) {
    for (size_t i = 0; i < b->count; i++) {
      {
        std::lock_guard<std::mutex> lock(b->mu);
        b->failures.push_back({static_cast<int32_t>(i), RD_KAFKA_RESP_ERR__PURGE_QUEUE});
      }
      Settle(b);
    }
    Settle(b);
  }
  jobs_.clear();
  // What librdkafka still holds is reported failed (purged), so every batch settles.
  rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  for (int i = 0; i < 50 && rd_kafka_outq_len(rk_) > 0; i++) rd_kafka_poll(rk_, 100);
  stopPoller_ = true;
  if (poller_.joinable()) poller_.join();
  rd_kafka_poll(rk_, 0);
  rd_kafka_destroy(rk_);
  rk_ = nullptr;
}

}  // namespace tsn
